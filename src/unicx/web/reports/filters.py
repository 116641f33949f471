"""A report page's filter: read from the URL (so a view can be shared), checked field by field.

The form's "to" is the last day shown (inclusive), as people read a range; the reports take the
day after it. Every problem becomes a :class:`Problem` at its field, in the page's language;
nothing a URL holds reaches a report unchecked, so a hostile value answers 400, never 500.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from unicx.errors import FieldIssue, NotFoundError, ValidationError


def _(text: str) -> str:
    """Marks a message for extraction; the page translates it."""
    return text


MAX_TEXT = 200
UNKNOWN_SEGMENT = _("No active segment has this id or name.")
Kind = Literal["choice", "int", "float", "text"]


class BadValue(ValueError):
    """A value the form refuses, with the message (an id) and its arguments."""

    def __init__(self, message: str, **args: Any) -> None:
        super().__init__(message)
        self.message, self.args_ = message, args


@dataclass(frozen=True)
class Option:
    """A report's own parameter: a choice among values, a bounded number or a short text."""

    name: str
    label: str
    kind: Kind = "choice"
    choices: tuple[tuple[str, str], ...] = ()
    default: str = ""
    low: float = 0
    high: float = 0
    hint: str = ""

    def parse(self, raw: str) -> Any:
        """The value (an empty text is None), or BadValue."""
        if self.kind == "choice":
            if raw not in {value for value, _label in self.choices}:
                raise BadValue(_("Choose one of the listed values."))
            return raw
        if self.kind == "text":
            if len(raw) > MAX_TEXT:
                raise BadValue(_("At most 200 characters."))
            return raw or None
        try:
            number = int(raw) if self.kind == "int" else float(raw)
        except ValueError:
            number = None
        if number is None or not self.low <= number <= self.high:
            raise BadValue(
                _("Enter a number from %(low)s to %(high)s."),
                low=f"{self.low:g}",
                high=f"{self.high:g}",
            )
        return number


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    args: dict[str, str] = dataclasses.field(default_factory=dict)
    detail: str = ""


@dataclass
class Filter:
    """What the URL asked for: ``raw`` (to fill the form back in), the parsed values and the
    problems found."""

    raw: dict[str, str]
    start: date | None = None
    last: date | None = None
    segment: str | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def common(self) -> dict[str, Any]:
        """The reports' common keyword arguments (``end`` exclusive)."""
        end = self.last + timedelta(days=1) if self.last else None
        return {"start": self.start, "end": end, "segment": self.segment}

    def check(self, name: str, parse: Callable[[str], Any], default: str = "") -> Any:
        """``parse`` of the field's text; a refusal becomes a problem at the field."""
        try:
            return parse(self.raw[name] or default)
        except BadValue as exc:
            self.problems.append(Problem(name, exc.message, exc.args_))
        except (ValueError, OverflowError):
            self.problems.append(Problem(name, _("Enter a day as YYYY-MM-DD.")))
        return None


def _day(raw: str) -> date | None:
    """An ISO day; the year 9999's last day is refused too, having no day after it."""
    if not raw:
        return None
    day = date.fromisoformat(raw)
    if len(raw) != 10 or day >= date.max:
        raise ValueError(raw)
    return day


def read(query: Mapping[str, str], options: tuple[Option, ...], *, segments: bool) -> Filter:
    """Parse the query string; problems are collected, never raised."""
    names = ["from", "to", *(["segment"] if segments else []), *(o.name for o in options)]
    found = Filter(raw={n: query.get(n, "").strip() for n in names})
    found.start = found.check("from", _day)
    found.last = found.check("to", _day)
    segment = found.raw.get("segment")
    if segment and len(segment) > MAX_TEXT:
        found.problems.append(Problem("segment", UNKNOWN_SEGMENT))
    elif segment:
        found.segment = segment
    for option in options:
        found.options[option.name] = found.check(option.name, option.parse, option.default)
    return found


# The reports' own rules (unicx.reports.scope/service), worded for the form.
_RULES = {
    ("from", "range"): _("Choose a day from 01/01/1970 to 30/12/2999."),
    ("to", "range"): _("Choose a day from 01/01/1970 to 30/12/2999."),
    ("from", "before_to"): _("The first day must not be after the last day."),
    ("segment", "ambiguous"): _("Several segments have this name: choose one from the list."),
}


def problems_of(exc: ValidationError | NotFoundError) -> list[Problem]:
    """A report's refusal, as problems at the form's fields."""
    if isinstance(exc, NotFoundError):
        return [Problem("segment", UNKNOWN_SEGMENT)]
    issues = getattr(exc, "issues", None) or [FieldIssue("", "invalid", exc.message)]
    return [
        Problem(i.field, _RULES.get((i.field, i.rule), _("Invalid value.")), detail=i.message)
        for i in issues
    ]
