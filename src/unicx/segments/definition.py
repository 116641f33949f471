"""The segment definition language: JSON (or the same tree in YAML) parsed into a typed tree.

Parsing checks structure only (shapes, operators, value types, durations, limits) and names the
path of every broken rule, e.g. ``all[2].count.gte``. What the names refer to (events, traits,
properties the workspace has seen) is checked by :mod:`unicx.segments.vocabulary`; the SQL is
produced by :mod:`unicx.segments.compiler`. docs/segments.md is the user's reference.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from unicx.segments.conditions import (
    ADOPTER_LEVELS,
    COMPARE_OPS,
    CONSENT_STATES,
    CONTEXT_FIELDS,
    MAX_DEPTH,
    MAX_LIST,
    MAX_NODES,
    MAX_STRING,
    MAX_WINDOW_S,
    MIN_WINDOW_S,
    NAME_RE,
    PRESENCE_OPS,
    PROPERTY_OPS,
    TRAIT_OPS,
    Compare,
    ConsentCond,
    ContextCond,
    EarlyAdopter,
    EventCond,
    FollowUp,
    Group,
    HasCond,
    Node,
    PropertyCond,
    Scalar,
    SegmentRef,
    TraitCond,
    Window,
    issue,
)

PROPERTY_RE = re.compile(
    r"^(products\[\]\.)?[A-Za-z_][A-Za-z0-9_-]{0,63}(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,3}$"
)
DURATION_RE = re.compile(r"^(\d{1,6})\s*(m|h|d|w)$")
UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

LEAF_KEYS = {
    "event": {"event", "where", "within", "count", "sum", "not_followed_by"},
    "trait": {"trait", "op", "value"},
    "context": {"context", "op", "value", "within"},
    "segment": {"segment"},
    "consent": {"consent", "state"},
    "has": {"has"},
    "early_adopter": {"early_adopter"},
}
KINDS = ("all", "any", "not", *LEAF_KEYS)


def parse(raw: Any, *, now: datetime | None = None) -> Node:
    """The tree of a definition, or :class:`ValidationError` naming the first broken rule."""
    parser = _Parser(now or datetime.now(UTC))
    return parser.node(raw, "definition", 0)


class _Parser:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.nodes = 0

    def node(self, raw: Any, path: str, depth: int) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise issue(path, "too_many_nodes", f"at most {MAX_NODES} conditions in a segment")
        if depth > MAX_DEPTH:
            raise issue(path, "too_deep", f"conditions nest at most {MAX_DEPTH} levels")
        if not isinstance(raw, dict):
            raise issue(path, "type", 'a condition is an object such as {"all": [...]}')
        kinds = [k for k in KINDS if k in raw]
        if len(kinds) != 1:
            hint = _suggest(next(iter(raw), ""), KINDS) if raw and not kinds else ""
            raise issue(
                path,
                "kind",
                f"give exactly one of {', '.join(KINDS)}"
                + (f" (did you mean {hint!r}?)" if hint else ""),
            )
        kind = kinds[0]
        if kind in ("all", "any"):
            _only(raw, {kind}, path)
            return self.group(raw[kind], f"{path}.{kind}", kind, depth)
        if kind == "not":
            _only(raw, {"not"}, path)
            return Group(path, "not", (self.node(raw["not"], f"{path}.not", depth + 1),))
        _only(raw, LEAF_KEYS[kind], path)
        leaf: Node = getattr(self, f"leaf_{kind}")(raw, path)
        return leaf

    def group(self, raw: Any, path: str, kind: str, depth: int) -> Group:
        if not isinstance(raw, list):
            raise issue(path, "type", f"{kind} takes a list of conditions")
        if not raw:
            raise issue(path, "empty", f"{kind} needs at least one condition")
        if len(raw) > MAX_LIST:
            raise issue(path, "too_many_nodes", f"at most {MAX_NODES} conditions in a segment")
        children = tuple(self.node(c, f"{path}[{i}]", depth + 1) for i, c in enumerate(raw))
        return Group(path, kind, children)

    def leaf_event(self, raw: dict[str, Any], path: str) -> EventCond:
        name = _name(raw["event"], f"{path}.event")
        where = _where(raw.get("where"), f"{path}.where")
        window = self.window(raw.get("within"), f"{path}.within")
        count = Compare("gte", 1)
        sum_of = None
        if "count" in raw and "sum" in raw:
            raise issue(path, "count_and_sum", "give count or sum, not both")
        if "count" in raw:
            count = _compare(raw["count"], f"{path}.count", set(), integer=True)
        if "sum" in raw:
            spec = raw["sum"]
            count = _compare(spec, f"{path}.sum", {"property"}, integer=False)
            sum_of = _property_name(spec.get("property"), f"{path}.sum.property")
        follow = None
        if "not_followed_by" in raw:
            follow = self.follow_up(raw["not_followed_by"], f"{path}.not_followed_by")
        return EventCond(path, name, where, window, count, sum_of, follow)

    def follow_up(self, raw: Any, path: str) -> FollowUp:
        if not isinstance(raw, dict):
            raise issue(path, "type", 'an object: {"event": ..., "within": "1d"}')
        _only(raw, {"event", "within", "where"}, path)
        if "within" not in raw:
            raise issue(f"{path}.within", "required", 'how long after, e.g. "1d"')
        return FollowUp(
            path,
            _name(raw.get("event"), f"{path}.event"),
            duration(raw["within"], f"{path}.within"),
            _where(raw.get("where"), f"{path}.where"),
        )

    def window(self, raw: Any, path: str) -> Window | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            return Window(last_s=duration(raw, path))
        if not isinstance(raw, dict):
            raise issue(path, "type", 'a duration such as "30d" or {"from": ..., "to": ...}')
        if "last" in raw:
            _only(raw, {"last"}, path)
            return Window(last_s=duration(raw["last"], f"{path}.last"))
        _only(raw, {"from", "to"}, path)
        start = _instant(raw.get("from"), f"{path}.from") if "from" in raw else None
        end = _instant(raw.get("to"), f"{path}.to") if "to" in raw else None
        if start is None and end is None:
            raise issue(path, "required", 'give "last", or "from" and/or "to"')
        if start is not None and start > self.now:
            raise issue(f"{path}.from", "future", "the window starts in the future")
        if start is not None and end is not None and end <= start:
            raise issue(f"{path}.to", "order", "to must be after from")
        return Window(start=start, end=end)

    def leaf_trait(self, raw: dict[str, Any], path: str) -> TraitCond:
        name = _name(raw["trait"], f"{path}.trait", limit=200)
        op = _op(raw.get("op"), f"{path}.op", TRAIT_OPS)
        value = _op_value(op, raw, path)
        if op == "top_percent" and not (isinstance(value, float) and 0 < value <= 100):
            raise issue(f"{path}.value", "range", "top_percent takes a number in (0, 100]")
        return TraitCond(path, name, op, value)

    def leaf_context(self, raw: dict[str, Any], path: str) -> ContextCond:
        name = raw["context"]
        if name not in CONTEXT_FIELDS:
            hint = _suggest(str(name), CONTEXT_FIELDS)
            raise issue(
                f"{path}.context",
                "unknown_field",
                f"one of {', '.join(CONTEXT_FIELDS)}"
                + (f" (did you mean {hint!r}?)" if hint else ""),
            )
        op = _op(raw.get("op"), f"{path}.op", PROPERTY_OPS)
        value = _op_value(op, raw, path)
        return ContextCond(path, name, op, value, self.window(raw.get("within"), f"{path}.within"))

    def leaf_segment(self, raw: dict[str, Any], path: str) -> SegmentRef:
        return SegmentRef(path, _name(raw["segment"], f"{path}.segment"))

    def leaf_consent(self, raw: dict[str, Any], path: str) -> ConsentCond:
        state = raw.get("state", "granted")
        if state not in CONSENT_STATES:
            raise issue(f"{path}.state", "enum", f"one of {', '.join(CONSENT_STATES)}")
        return ConsentCond(path, _name(raw["consent"], f"{path}.consent", limit=64), state)

    def leaf_has(self, raw: dict[str, Any], path: str) -> HasCond:
        return HasCond(path, _name(raw["has"], f"{path}.has", limit=64))

    def leaf_early_adopter(self, raw: dict[str, Any], path: str) -> EarlyAdopter:
        spec = raw["early_adopter"]
        path = f"{path}.early_adopter"
        if not isinstance(spec, dict):
            raise issue(path, "type", 'an object: {"level": "category", "launched_within": ...}')
        _only(spec, {"level", "launched_within", "bought_within"}, path)
        level = spec.get("level", "product")
        if level not in ADOPTER_LEVELS:
            raise issue(f"{path}.level", "enum", "product or category")
        return EarlyAdopter(
            path,
            level,
            duration(spec.get("launched_within", "90d"), f"{path}.launched_within"),
            duration(spec.get("bought_within", "14d"), f"{path}.bought_within"),
        )


def duration(raw: Any, path: str) -> int:
    """Seconds of a duration such as ``30d``, ``12h``, ``2w`` or ``90m``."""
    if not isinstance(raw, str) or not (m := DURATION_RE.match(raw.strip())):
        raise issue(path, "duration", 'a duration such as "30d", "12h", "2w" or "90m"')
    seconds = int(m.group(1)) * UNIT_S[m.group(2)]
    if seconds < MIN_WINDOW_S:
        raise issue(path, "too_short", "a window lasts at least 1 minute")
    if seconds > MAX_WINDOW_S:
        raise issue(path, "too_long", "a window lasts at most 10 years")
    return seconds


def _only(raw: dict[str, Any], allowed: set[str], path: str) -> None:
    for key in raw:
        if key not in allowed:
            hint = _suggest(str(key), sorted(allowed))
            extra = f" (did you mean {hint!r}?)" if hint else ""
            raise issue(f"{path}.{str(key)[:64]}", "unknown_key", f"unknown key{extra}")


def _mean(hint: str) -> str:
    return f" (did you mean {hint!r}?)" if hint else ""


def _suggest(word: str, options: Any) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else ""


def _name(raw: Any, path: str, *, limit: int = 200) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > limit or not NAME_RE.match(raw):
        raise issue(path, "name", f"a non-empty name of at most {limit} printable characters")
    return raw


def _property_name(raw: Any, path: str) -> str:
    if not isinstance(raw, str) or not PROPERTY_RE.match(raw):
        raise issue(
            path,
            "property",
            "a property key such as revenue, product.category or products[].category",
        )
    return raw


def _op(raw: Any, path: str, allowed: tuple[str, ...]) -> str:
    if raw not in allowed:
        hint = _suggest(str(raw), allowed) if isinstance(raw, str) else ""
        extra = f" (did you mean {hint!r}?)" if hint else ""
        raise issue(path, "unknown_operator", f"one of {', '.join(allowed)}{extra}")
    return str(raw)


def _scalar(raw: Any, path: str) -> Scalar:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise issue(path, "number", "numbers must be finite")
        if abs(raw) > 1e18:
            raise issue(path, "number", "number out of range")
        return float(raw) if isinstance(raw, float) else int(raw)
    if isinstance(raw, str):
        if len(raw) > MAX_STRING:
            raise issue(path, "too_long", f"strings are at most {MAX_STRING} characters")
        return raw
    raise issue(path, "type", "a string, number or boolean")


def _op_value(op: str, raw: dict[str, Any], path: str) -> Any:
    vpath = f"{path}.value"
    if op in PRESENCE_OPS:
        if "value" in raw:
            raise issue(vpath, "unexpected", f"{op} takes no value")
        return None
    if "value" not in raw:
        raise issue(vpath, "required", f"{op} needs a value")
    value = raw["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            raise issue(vpath, "list", f"{op} takes a list of 1 to {MAX_LIST} values")
        return tuple(_scalar(v, f"{vpath}[{i}]") for i, v in enumerate(value))
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise issue(vpath, "list", "between takes [low, high]")
        low, high = (_scalar(v, f"{vpath}[{i}]") for i, v in enumerate(value))
        if type(low) is not type(high) and not _numbers(low, high):
            raise issue(vpath, "type", "low and high must have the same type")
        if low > high:  # type: ignore[operator]
            raise issue(vpath, "order", "low must not be above high")
        return (low, high)
    if op in ("within_last", "before_last"):
        return duration(value, vpath)
    if op in ("after", "before"):
        return _instant(value, vpath)
    if op == "top_percent":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise issue(vpath, "number", "top_percent takes a number")
        return float(value)
    scalar = _scalar(value, vpath)
    if op in ("contains", "starts_with") and not isinstance(scalar, str):
        raise issue(vpath, "type", f"{op} takes a string")
    if op in ("gt", "gte", "lt", "lte") and isinstance(scalar, bool):
        raise issue(vpath, "type", f"{op} compares numbers, dates or strings")
    return scalar


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _instant(raw: Any, path: str) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise issue(path, "datetime", "an ISO-8601 date or time, e.g. 2026-01-31")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        except ValueError:
            raise issue(path, "datetime", "an ISO-8601 date or time, e.g. 2026-01-31") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _compare(raw: Any, path: str, extra: set[str], *, integer: bool) -> Compare:
    if not isinstance(raw, dict):
        raise issue(path, "type", 'an object such as {"gte": 2}')
    ops = [k for k in raw if k not in extra]
    if len(ops) != 1:
        raise issue(path, "compare", "exactly one of gte, gt, lte, lt, eq, between")
    op = _op(ops[0], f"{path}.{str(ops[0])[:64]}", (*COMPARE_OPS[:1], *COMPARE_OPS[2:], "between"))
    value = raw[op]
    vpath = f"{path}.{op}"
    if op == "between":
        if not isinstance(value, list) or len(value) != 2 or not _numbers(*value):
            raise issue(vpath, "list", "between takes [low, high] numbers")
        low, high = float(value[0]), float(value[1])
        if low > high:
            raise issue(vpath, "order", "low must not be above high")
        return Compare(op, (low, high))
    if not _numbers(value) or not math.isfinite(value) or abs(value) > 1e18:
        raise issue(vpath, "number", "a finite number")
    if integer and (value != int(value) or value < 0):
        raise issue(vpath, "count", "counts are whole numbers, 0 or more")
    return Compare(op, float(value))


def _where(raw: Any, path: str) -> tuple[PropertyCond, ...]:
    if raw is None:
        return ()
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or len(raw) > 50:
        raise issue(path, "type", "a list of at most 50 property conditions")
    out = []
    for i, item in enumerate(raw):
        ipath = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise issue(ipath, "type", 'an object: {"property": ..., "op": ..., "value": ...}')
        _only(item, {"property", "op", "value"}, ipath)
        prop = _property_name(item.get("property"), f"{ipath}.property")
        op = _op(item.get("op", "eq"), f"{ipath}.op", PROPERTY_OPS)
        if prop.startswith("products[]") and op not in ("eq", "in", "exists"):
            raise issue(f"{ipath}.op", "list_property", "products[] keys take eq, in or exists")
        out.append(PropertyCond(ipath, prop, op, _op_value(op, item, ipath)))
    return tuple(out)
