"""What a report page shows besides its filter: the table a chart is drawn from, and the words
(gettext, formats, the period) the builders need in the page's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

import plotly.graph_objects as go
from babel import Locale
from babel.numbers import get_currency_symbol

from unicx.web.i18n import Formatter

# How the template shows a cell: counts and money per language, shares as percents, lift and
# hours with decimals, places and names as text.
CellKind = Literal["text", "count", "quantity", "money", "percent", "growth", "decimal", "date"]


@dataclass(frozen=True)
class Column:
    label: str
    kind: CellKind = "text"

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "date")


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class View:
    table: Table
    figure: go.Figure
    facts: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Words:
    """The page's language for the builders: ``_`` translates, ``fmt`` formats."""

    _: Callable[[str], str]
    fmt: Formatter
    lang: str
    currency: str

    def period(self, start: date, end: date) -> str:
        """``[start, end)`` as people read it: first and last day."""
        last = end - timedelta(days=1)
        return f"{self.fmt.date(start)} \u2013 {self.fmt.date(last)}"

    @staticmethod
    def dot(text: str, more: str) -> str:
        """A title and what it covers: "Doanh thu theo nơi · 01/06/2024 - 30/06/2024"."""
        return f"{text} · {more}"

    @staticmethod
    def paren(text: str, more: str) -> str:
        """A label and its unit or period: "Doanh thu (₫)"."""
        return f"{text} ({more})"

    @property
    def money_unit(self) -> str:
        return get_currency_symbol(self.currency, locale=self.lang)

    def country(self, text: str | None) -> str:
        return country_name(text, self.lang) if text else self._("Unknown")


@cache
def _codes() -> dict[str, str]:
    """Country names (English, any case) and ISO codes → ISO code."""
    english: dict[str, str] = {str(k): str(v) for k, v in Locale("en").territories.items()}
    names = {name.lower(): code for code, name in english.items() if code.isalpha()}
    return names | {code.lower(): code for code in english if len(code) == 2}


def country_name(text: str, lang: str) -> str:
    """The country's name in ``lang`` ("Vietnam" or "VN" → "Việt Nam"); unknown text as is."""
    code = _codes().get(text.strip().lower())
    if code is None:
        return text
    return str(Locale(lang).territories.get(code, text))


@dataclass(frozen=True)
class Kind:
    """One report page: its URL name, title and summary (ids), its own options, how to run it
    (the reports' services) and how to draw it."""

    key: str
    title: str
    summary: str
    options: tuple[Any, ...]
    run: Callable[..., Any]
    draw: Callable[[Any, Words], View]
    segments: bool = True
    empty: str = ""
