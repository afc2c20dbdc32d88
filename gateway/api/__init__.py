"""The HTTP surface: one module per resource, errors and request ids in one place each."""
