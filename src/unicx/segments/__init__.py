"""Segments: a declarative condition language compiled to SQL, with materialized membership
kept current by ingest passes and a scheduler (docs/segments.md).

Layer: above privacy: may import privacy, profiles, identity, ingest, store and the bottom modules;
never predict (model outputs are declared in segments/schema.py).
"""
