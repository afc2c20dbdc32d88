"""Security: secrets at rest, bearer tokens, access checks and the egress guard."""
