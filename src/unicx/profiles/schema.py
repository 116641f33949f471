"""Tables of the profiles domain after the single customer view (migration 2, in identity).

Migration 13: ``profile_search``, one row per profile with what the profile search matches and
shows, maintained by the traits refresh of every identity pass (unicx.profiles.search). A search
over a million profiles reads this one narrow table instead of folding every name trait and
pivoting identifiers per keystroke.
"""

from __future__ import annotations

# No primary key: the pass deletes and re-inserts the rows of the profiles it touched, and a
# key's index would cost more on a full refresh than it saves on the search's full scan.
PROFILE_SEARCH_SQL = """
CREATE TABLE profile_search (
    profile_id VARCHAR NOT NULL,
    name VARCHAR,
    email VARCHAR,
    phone VARCHAR,
    city VARCHAR,
    country VARCHAR,
    last_seen TIMESTAMPTZ,
    orders_count BIGINT,
    revenue DOUBLE,
    -- folded name (no diacritics, đ as d, lower case): ranks exact and prefix name matches
    name_folded VARCHAR,
    -- ' ' + folded name, e-mail and phone digits (E.164 and national) + ' ': a query word
    -- matches the start of a word here
    search_text VARCHAR NOT NULL
);
"""
