"""Segment-compatible ingestion: decode, validate, enrich, dedupe, group-commit."""
