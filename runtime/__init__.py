"""The workflow runtime: runs Logic Apps workflow definitions whose steps call connectors
through the gateway. It plugs into the gateway as ``runtime.extension.RuntimeExtension``
(the ``portway.extensions`` entry point) and uses only ``gateway``'s public face."""
