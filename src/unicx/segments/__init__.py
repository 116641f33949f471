"""Segments: a declarative condition language compiled to SQL, with materialized membership
kept current by ingest passes and a scheduler (docs/segments.md)."""
