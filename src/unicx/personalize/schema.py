"""Tables of the personalize domain (migration 6)."""

from __future__ import annotations

PERSONALIZE_SQL = """
CREATE TABLE offers (
    offer_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    placement VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    eligibility JSON,
    template VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
"""
