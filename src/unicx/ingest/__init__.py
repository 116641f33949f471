"""Segment-compatible ingestion: decode, validate, enrich, dedupe, group-commit.

Layer: above auth: may import auth, store and the bottom modules.
"""
