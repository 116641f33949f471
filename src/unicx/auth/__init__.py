"""Credentials: sources with their write keys (ingest only) and secret API keys with roles.

Layer: above store: may import store and the bottom modules.
"""
