"""Profile search: find people by any identifier value or by name, diacritics and case aside.

A query matches a profile when it is one of its identifiers exactly (after the identity
normalizers: ``0912 345 678`` is ``+84912345678``, ``An@X.vn`` is ``an@x.vn``; user ids,
anonymous ids, device and custom ids as typed), or when every word of the folded query starts
a word of the profile's folded name, e-mail or phone (``nguyen van an`` finds *Nguyễn Văn An*,
``0912345`` finds ``+84912345678``). Folding is the identity domain's (đ/Đ → d, then the marks
go; see unicx.identity.matching_sql.fold), applied by the same SQL to the stored text and
here to the query.

The stored side is ``profile_search`` (profiles/schema.py), rewritten for the profiles each
traits refresh touches, so a search is one scan of a narrow table plus one of the identifiers.
Hits rank identifier matches first, then an exact folded name, then names starting with the
query, then the rest; newest activity first within a rank.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue

from unicx.errors import FieldIssue, ValidationError
from unicx.identity.matching_sql import fold
from unicx.identity.normalize import fold_name, normalize_email, normalize_id, normalize_phone
from unicx.profiles.refresh_scope import Scope, params_for
from unicx.store import Session, Store

MAX_QUERY_CHARS = 200
MAX_WORDS = 8  # more words narrow nothing a person types into a search box
MAX_PAGE = 100
MAX_OFFSET = 10_000  # a list to page through this far wants a segment, not a search
# Profile traits read as a hit's display name, most specific first (Segment spells both ways).
NAME_TRAITS = ("name", "full_name", "fullName")
FIRST_TRAITS = ("first_name", "firstName")
LAST_TRAITS = ("last_name", "lastName")
_PHONE_QUERY = re.compile(r"^\+?[\d\s().-]+$")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


class ProfileHit(BaseModel):
    profile_id: str
    name: str | None = Field(description="Display name as the person wrote it (latest).")
    email: str | None = Field(description="Most recently seen e-mail identifier (normalized).")
    phone: str | None = Field(description="Most recently seen phone identifier (E.164).")
    last_seen: datetime | None = Field(description="Time of the person's latest event.")
    traits: dict[str, JsonValue] = Field(
        description="A few traits for the result list (city, country, orders_count, revenue), "
        "those the profile has."
    )
    matched: Literal["identifier", "name"] = Field(
        description="identifier: the query is one of the profile's identifiers; name: every "
        "query word starts a word of its name, e-mail or phone."
    )


class SearchPage(BaseModel):
    query: str
    hits: list[ProfileHit]
    total: int = Field(description="Profiles matching the query in all.")
    limit: int
    offset: int
    has_more: bool = Field(description="True if another page follows (offset + limit < total).")


def _in(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{n}'" for n in names) + ")"


def _trait(names: tuple[str, ...], path: str = "$") -> str:
    return f"max(value->>'{path}') FILTER (WHERE name IN {_in(names)})"


_READ_TRAITS = (*NAME_TRAITS, *FIRST_TRAITS, *LAST_TRAITS, "city", "country", "address")
_NAME = (
    f"coalesce({_trait(NAME_TRAITS)}, nullif(concat_ws(' ', {_trait(LAST_TRAITS)}, "
    f"{_trait(FIRST_TRAITS)}), ''))"
)
_NATIONAL = "CASE WHEN starts_with(phone, '+84') THEN '0' || substr(phone, 4) END"


def refresh_sql(scope: Scope) -> str:
    """The INSERT of the ``profile_search`` rows of the profiles in ``scope``."""
    rows = scope.rows
    return f"""INSERT INTO profile_search
WITH people AS (SELECT profile_id FROM profiles WHERE {rows}),
told AS (
  SELECT profile_id, {_NAME} AS name,
         coalesce({_trait(("city",))}, {_trait(("address",), "$.city")}) AS city,
         coalesce({_trait(("country",))}, {_trait(("address",), "$.country")}) AS country
  FROM profile_traits WHERE {rows} AND name IN {_in(_READ_TRAITS)}
  GROUP BY profile_id
),
contacts AS (
  SELECT profile_id,
         arg_max(id_value, last_seen) FILTER (WHERE id_type = 'email') AS email,
         arg_max(id_value, last_seen) FILTER (WHERE id_type = 'phone') AS phone
  FROM identities WHERE {rows} AND id_type IN ('email', 'phone')
  GROUP BY profile_id
),
activity AS (
  SELECT profile_id,
         max(TRY_CAST(value->>'$' AS TIMESTAMPTZ)) FILTER (WHERE name = 'last_seen') AS last_seen,
         max(TRY_CAST(value->>'$' AS BIGINT)) FILTER (WHERE name = 'orders_count')
           AS orders_count,
         max(TRY_CAST(value->>'$' AS DOUBLE)) FILTER (WHERE name = 'revenue') AS revenue
  FROM computed_traits WHERE {rows} AND name IN ('last_seen', 'orders_count', 'revenue')
  GROUP BY profile_id
),
joined AS (
  SELECT p.profile_id, t.name, c.email, c.phone, t.city, t.country, a.last_seen,
         a.orders_count, a.revenue, {fold("t.name")} AS name_folded
  FROM people p
  LEFT JOIN told t USING (profile_id)
  LEFT JOIN contacts c USING (profile_id)
  LEFT JOIN activity a USING (profile_id)
)
SELECT profile_id, name, email, phone, city, country, last_seen, orders_count, revenue,
       name_folded,
       ' ' || concat_ws(' ', name_folded, {fold("email")}, regexp_replace(phone, '[^0-9]', '',
         'g'), {_NATIONAL}) || ' ' AS search_text
FROM joined"""


def refresh_search(session: Session, scope: Scope) -> int:
    """Rewrite the search rows of the profiles in ``scope`` (after their traits)."""
    scope.clear(session, "profile_search")
    row = session.fetchone(refresh_sql(scope), step="profiles.search_refresh")
    return int(row[0]) if row else 0


def _hit_steps(words: int) -> str:
    every = " AND ".join(f"contains(search_text, $w{i})" for i in range(words)) or "false"
    return f"""WITH exact AS (
  SELECT DISTINCT profile_id FROM identities WHERE id_value IN (SELECT unnest($ids))
),
hits AS (
  SELECT s.*, e.profile_id IS NOT NULL AS by_id,
         CASE WHEN e.profile_id IS NOT NULL THEN 0
              WHEN s.name_folded = $folded THEN 1
              WHEN starts_with(s.name_folded, $folded) THEN 2
              ELSE 3 END AS rank
  FROM profile_search s LEFT JOIN exact e USING (profile_id)
  WHERE e.profile_id IS NOT NULL OR ({every})
)"""


def search_sql(words: int) -> str:
    """The search over ``words`` query words ($w0, …; each ' ' + word) and the exact
    identifier values $ids; parameters $folded (the whole folded query), $limit, $offset."""
    return f"""{_hit_steps(words)}
SELECT profile_id, name, email, phone, city, country, last_seen, orders_count, revenue, by_id,
       count(*) OVER () AS total
FROM hits
ORDER BY rank, last_seen DESC NULLS LAST, profile_id
LIMIT $limit OFFSET $offset"""


def count_sql(words: int) -> str:
    """How many profiles :func:`search_sql` finds in all (for a page past the end)."""
    return f"{_hit_steps(words)}\nSELECT count(*) AS total FROM hits"


def fold_query(q: str) -> str:
    """The query as the stored text is folded (see module docstring)."""
    return _NOT_WORD.sub(" ", fold_name(q)).strip()


def query_words(q: str) -> list[str]:
    """The words every hit must start a word with: a phone-like query is one run of digits."""
    if _PHONE_QUERY.match(q) and sum(ch.isdigit() for ch in q) >= 3:
        return [re.sub(r"\D", "", q)]
    return fold_query(q).split()[:MAX_WORDS]


def exact_values(q: str) -> list[str]:
    """The identifier values ``q`` may be, normalized as identity stores them."""
    found = (normalize_id(q), normalize_email(q), normalize_phone(q))
    return sorted({v for v in found if v is not None})


def _check(q: str, limit: int, offset: int) -> str:
    text = q.strip()
    problems = []
    if not 0 < len(text) <= MAX_QUERY_CHARS:
        problems.append(FieldIssue("q", "length", f"must be 1 to {MAX_QUERY_CHARS} characters"))
    if not 1 <= limit <= MAX_PAGE:
        problems.append(FieldIssue("limit", "range", f"must be between 1 and {MAX_PAGE}"))
    if not 0 <= offset <= MAX_OFFSET:
        problems.append(FieldIssue("offset", "range", f"must be between 0 and {MAX_OFFSET}"))
    if problems:
        raise ValidationError(f"{problems[0].field}: {problems[0].message}", issues=problems)
    return text


def _hit(row: dict[str, Any]) -> ProfileHit:
    keys = ("city", "country", "orders_count", "revenue")
    return ProfileHit(
        profile_id=row["profile_id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        last_seen=row["last_seen"],
        traits={k: row[k] for k in keys if row[k] is not None},
        matched="identifier" if row["by_id"] else "name",
    )


def search(store: Store, q: str, *, limit: int = 20, offset: int = 0) -> SearchPage:
    """A page of the profiles matching ``q`` (see the module docstring), best first."""
    text = _check(q, limit, offset)
    words = query_words(text)
    sql = search_sql(len(words))
    params: dict[str, Any] = {f"w{i}": f" {w}" for i, w in enumerate(words)}
    params |= {"ids": exact_values(text), "folded": fold_query(text)}
    params |= {"limit": limit, "offset": offset}
    with store.session() as s:
        rows = s.fetch_dicts(sql, params_for(sql, params), step="profiles.search")
        total = int(rows[0]["total"]) if rows else 0
        if not rows and offset > 0:  # past the end: the window count saw no row
            counting = count_sql(len(words))
            row = s.fetchone(counting, params_for(counting, params), step="profiles.search_count")
            total = int(row[0]) if row else 0
    return SearchPage(
        query=text,
        hits=[_hit(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        has_more=offset + limit < total,
    )
