"""Credentials: sources with their write keys (ingest only) and secret API keys with roles."""
