"""Traits that must not drive personalization: health, religion, ethnicity, precise location,
age of minors (by name pattern), plus traits an admin marks sensitive.

An admin may also mark a trait explicitly *not* sensitive (a pattern can be wrong: a trait
``plan_age_days`` is no one's age); the mark wins over the pattern. Offers that use a sensitive
trait in their eligibility or template are refused at save time, and rendering never puts one in
the template context. Other domains (model features, recommendations) call
:func:`sensitive_traits`.
"""

from __future__ import annotations

import re
from datetime import datetime

from unicx.errors import FieldIssue, NotFoundError, ValidationError
from unicx.personalize.models import SensitiveTrait
from unicx.store import Session

CATEGORIES = ("health", "religion", "ethnicity", "precise_location", "minor_age", "other")
# Whole-word-ish patterns over the lower-cased trait name; "_" and "." separate words.
DEFAULT_PATTERNS: dict[str, str] = {
    "health": r"health|medical|diagnos|disease|illness|pregnan|disabilit|blood_?type|allerg"
    r"|medication|prescription|(^|_)hiv($|_)|cancer|diabet|mental_health",
    "religion": r"religio|faith|church|pagoda|buddhis|christian|catholic|muslim|islam|hindu"
    r"|ton_?giao",
    "ethnicity": r"ethnic|(^|_)race($|_)|racial|tribe|dan_?toc",
    "precise_location": r"(^|_)(lat|lng|lon|latitude|longitude|coordinates?|gps|geo_?point)($|_)"
    r"|^(home_|street_|full_|shipping_|billing_)?address(_line_?\d?)?$|(^|_)street($|_)",
    "minor_age": r"(^|_)(age|birth_?date|birthday|date_of_birth|dob|birth_?year|ngay_?sinh)($|_)",
}
_COMPILED = {c: re.compile(p) for c, p in DEFAULT_PATTERNS.items()}
_TRAIT_TABLES = ("profile_traits", "computed_traits", "model_traits")
MAX_NAME = 200


def pattern_category(name: str) -> str | None:
    """The default category a trait name falls in, or None."""
    lowered = name.lower().replace(".", "_").replace("-", "_")
    for category, pattern in _COMPILED.items():
        if pattern.search(lowered):
            return category
    return None


def _marks(session: Session) -> dict[str, bool]:
    rows = session.fetchall(
        "SELECT name, sensitive FROM sensitive_traits", step="personalize.sensitive_marks"
    )
    return {str(n): bool(s) for n, s in rows}


def known_trait_names(session: Session) -> set[str]:
    names: set[str] = set()
    for table in _TRAIT_TABLES:  # constant names
        rows = session.fetchall(f"SELECT DISTINCT name FROM {table}", step="personalize.traits")
        names.update(str(r[0]) for r in rows)
    return names


def sensitive_traits(session: Session) -> set[str]:
    """Every trait name of the workspace that is sensitive now, admin marks included (also
    marked names no profile carries yet)."""
    marks = _marks(session)
    found = {n for n in known_trait_names(session) if pattern_category(n) is not None}
    return (found | {n for n, s in marks.items() if s}) - {n for n, s in marks.items() if not s}


def is_sensitive(name: str, marks: dict[str, bool]) -> bool:
    if name in marks:
        return marks[name]
    return pattern_category(name) is not None


class SensitiveCheck:
    """Decides trait names against the marks loaded once (a save checks many names)."""

    def __init__(self, session: Session) -> None:
        self.marks = _marks(session)

    def __call__(self, name: str) -> bool:
        return is_sensitive(name, self.marks)


def list_sensitive(session: Session) -> list[SensitiveTrait]:
    """Marks and pattern matches with their category and where the verdict comes from."""
    marks = session.fetch_dicts(
        "SELECT name, sensitive, category, reason, marked_by, updated_at FROM sensitive_traits "
        "ORDER BY name",
        step="personalize.sensitive_list",
    )
    marked = {str(m["name"]) for m in marks}
    out = [SensitiveTrait.model_validate({**m, "source": "admin"}) for m in marks]
    for name in sorted(known_trait_names(session) - marked):
        category = pattern_category(name)
        if category is not None:
            found = SensitiveTrait(name=name, sensitive=True, category=category, reason="",
                                   marked_by=None, updated_at=None, source="pattern")  # fmt: skip
            out.append(found)
    return out


def mark(
    session: Session,
    name: str,
    *,
    sensitive: bool,
    category: str,
    reason: str,
    actor: str | None,
    now: datetime,
) -> SensitiveTrait:
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise ValidationError(
            "trait name: 1-200 printable characters",
            issues=[FieldIssue("name", "name", "1-200 printable characters")],
        )
    if category not in CATEGORIES:
        raise ValidationError(
            f"category: one of {', '.join(CATEGORIES)}",
            issues=[FieldIssue("category", "enum", f"one of {', '.join(CATEGORIES)}")],
        )
    session.execute(
        "INSERT OR REPLACE INTO sensitive_traits VALUES (?, ?, ?, ?, ?, ?)",
        [name, sensitive, category, reason[:500], actor, now],
        step="personalize.sensitive_mark",
    )
    return SensitiveTrait(name=name, sensitive=sensitive, category=category, reason=reason[:500],
                          marked_by=actor, updated_at=now, source="admin")  # fmt: skip


def unmark(session: Session, name: str) -> None:
    """Remove an admin mark (the default patterns apply again)."""
    row = session.fetchone(
        "DELETE FROM sensitive_traits WHERE name = ? RETURNING name",
        [name],
        step="personalize.sensitive_unmark",
    )
    if row is None:
        raise NotFoundError(f"no sensitivity mark for trait {name[:64]!r}")
