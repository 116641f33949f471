"""Privacy: consent per purpose, export and erasure of a person, tombstones, audit log.

Layer: above profiles: may import profiles, identity, ingest, store and the bottom modules; erasure
and export reach the other domains' tables by name (privacy/registry.py), not by import.
"""
