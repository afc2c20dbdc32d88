"""The workflow runtime: runs workflow definitions whose steps call connectors through
the gateway. It plugs into the gateway through ``gateway.Extension``."""
