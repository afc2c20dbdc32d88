"""The data plane: one proxied call, step by step (see docs/proxy.md)."""
