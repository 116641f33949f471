"""Tables of the recommend domain (migration 5)."""

from __future__ import annotations

RECOMMEND_SQL = """
CREATE TABLE catalog_items (
    item_id VARCHAR PRIMARY KEY,
    name VARCHAR,
    category VARCHAR,
    price DOUBLE,
    available BOOLEAN NOT NULL DEFAULT true,
    image VARCHAR,
    url VARCHAR,
    launched_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
"""
