"""vi/en formatting filters for offer templates: VND, numbers, dates.

The locale comes from the render context (``locale``, the offer's), the time zone from the
workspace (hidden context key ``__tz``, default Asia/Ho_Chi_Minh). A value that is not a number
or a date renders as it is instead of failing: a trait sent as text must not break the page.

=========  ==========================  ==========================
filter     vi                          en
=========  ==========================  ==========================
vnd        ``1.250.000 ₫``             ``₫1,250,000``
number     ``1.234,5`` (``digits=1``)  ``1,234.5``
date       ``30/06/2024``              ``Jun 30, 2024``
datetime   ``30/06/2024 19:05``        ``Jun 30, 2024 7:05 PM``
tojson     JSON; a missing value is ``null``
=========  ==========================  ==========================
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Undefined, pass_context
from jinja2.runtime import Context
from jinja2.utils import htmlsafe_json_dumps

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
LOCALES = ("vi", "en")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _to_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def format_number(value: Any, locale: str = "vi", digits: int = 0) -> str:
    number = _to_number(value)
    if number is None:
        return "" if value is None else str(value)
    digits = max(0, min(int(digits), 6))
    text = f"{number:,.{digits}f}"  # en: 1,234.5
    if locale == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_vnd(value: Any, locale: str = "vi") -> str:
    number = _to_number(value)
    if number is None:
        return "" if value is None else str(value)
    amount = format_number(abs(round(number)), locale)
    sign = "-" if number < 0 and round(number) != 0 else ""
    return f"{sign}{amount} ₫" if locale == "vi" else f"{sign}₫{amount}"


def _to_datetime(value: Any, tz: str) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=ZoneInfo(tz))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(tz))


def format_date(value: Any, locale: str = "vi", tz: str = DEFAULT_TZ, *, time: bool = False) -> str:
    moment = _to_datetime(value, tz)
    if moment is None:
        return "" if value is None else str(value)
    if locale == "vi":
        text = moment.strftime("%d/%m/%Y")
        return f"{text} {moment:%H:%M}" if time else text
    text = f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"
    if not time:
        return text
    hour = moment.hour % 12 or 12
    return f"{text} {hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"


def _locale(ctx: Context) -> str:
    value = ctx.get("locale")
    return value if value in LOCALES else "vi"


def _tz(ctx: Context) -> str:
    value = ctx.get("__tz")
    return value if isinstance(value, str) else DEFAULT_TZ


@pass_context
def _vnd(ctx: Context, value: Any) -> str:
    return format_vnd(value, _locale(ctx))


@pass_context
def _number(ctx: Context, value: Any, digits: int = 0) -> str:
    return format_number(value, _locale(ctx), digits)


@pass_context
def _date(ctx: Context, value: Any) -> str:
    return format_date(value, _locale(ctx), _tz(ctx))


@pass_context
def _datetime(ctx: Context, value: Any) -> str:
    return format_date(value, _locale(ctx), _tz(ctx), time=True)


def _tojson(value: Any, indent: int | None = None) -> str:
    # Jinja's own tojson fails on a missing value; a trait a person lacks is JSON null, so a
    # webhook payload like {"email": {{ traits.email | tojson }}} renders for everyone.
    # htmlsafe: also valid inside <script> in HTML content.
    plain = None if isinstance(value, Undefined) else value
    dumps = partial(json.dumps, ensure_ascii=False, default=str)
    return htmlsafe_json_dumps(plain, dumps=dumps, indent=indent)


FILTERS: dict[str, Callable[..., str]] = {
    "tojson": _tojson,
    "vnd": _vnd,
    "number": _number,
    "date": _date,
    "datetime": _datetime,
}
