"""Benchmarks: ``python -m bench`` runs every script here (see __main__.py)."""
