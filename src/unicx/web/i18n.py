"""The dashboard's languages: gettext catalogs (Babel) and locale formatting.

Message ids are English; ``locale/vi`` is the catalog written first (Vietnamese-first wording),
``locale/en`` holds the few English texts that differ from their id (an empty one shows the id).
Each area keeps its own ``<area>.po``; they are merged and compiled in memory at start-up, so
there is no build step and no binary file in the repository (``make messages`` lists what is
missing, see unicx.web.catalogs).
Numbers, money and dates follow the language; times are shown in the workspace's time zone.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
# §10 of the design: dates as 07/12/2026 19:30 in Vietnamese; English keeps its own order.
_DATETIME = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}
_DATE = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
Number = int | float | Decimal


def pick_language(*candidates: str | None) -> str:
    """The first supported language among the candidates (query, user, cookie), else Vietnamese."""
    for candidate in candidates:
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return DEFAULT_LANGUAGE


@cache
def translations(language: str) -> Translations:
    """Every ``.po`` file of the language merged (one per area, so parallel work on separate
    areas never edits the same catalog file)."""
    merged = Translations()
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        merged.merge(_compile(path, language))
    return merged


def _compile(path: Path, language: str) -> Translations:
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


@dataclass(frozen=True)
class Formatter:
    """Numbers, money and dates for one language and time zone (Jinja filters)."""

    language: str
    zone: ZoneInfo

    def number(self, value: Number | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return numbers.format_decimal(value, format=pattern, locale=self.language)

    def percent(self, value: Number | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return numbers.format_percent(value, format=pattern, locale=self.language)

    def money(self, value: Number | None, currency: str = "VND") -> str:
        if value is None:
            return "—"
        # 1.250.000 ₫ in Vietnamese, ₫1,250,000 in English: each language's own pattern.
        return numbers.format_currency(value, currency, locale=self.language)

    def datetime(self, value: dt.datetime | None) -> str:
        if value is None:
            return "—"
        return dates.format_datetime(
            value, _DATETIME[self.language], tzinfo=self.zone, locale=self.language
        )

    def date(self, value: dt.date | dt.datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.zone).date()
        return dates.format_date(value, _DATE[self.language], locale=self.language)
