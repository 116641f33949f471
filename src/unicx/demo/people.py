"""Simulated people of the demo stream: who they are, their devices, how they spell themselves.

Identifiers are unique per person (emails and phones are drawn until unused) so that the demo's
identity graph has exactly one true person behind each set of identifiers; the variation that
identity resolution must see through (diacritics, +84 vs 0 prefixes, capitalized emails) is
added per call in :mod:`unicx.demo.session`.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from unicx.demo import catalog as c

VN_TIMEZONE = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True, slots=True)
class Device:
    anonymous_id: str
    platform: str  # "web", "ios" or "android"
    user_agent: str
    ip: str
    app: dict[str, Any] | None = None  # app/device/os/network context of a mobile app


@dataclass(slots=True)
class Person:
    user_id: str
    first_name: str
    last_name: str
    full_name: str
    email: str
    phone: str  # national form (0912…) for Vietnamese, E.164 for foreigners
    city: str
    country: str
    timezone: str
    locale: str
    plain_name: bool  # types without diacritics (common on phones without a Telex keyboard)
    favorite: str
    registered: bool
    company: tuple[str, str, str, str, int] | None = None
    devices: list[Device] = field(default_factory=list)
    loyal: bool = False  # a regular: comes back often and buys on many visits

    @property
    def english(self) -> bool:
        """Reads the shop in English (product names in events come in English)."""
        return not self.locale.startswith("vi")

    @property
    def vietnamese(self) -> bool:
        return self.country == "Vietnam"


def fold(text: str) -> str:
    """Vietnamese without diacritics: "Nguyễn Văn Đạt" -> "Nguyen Van Dat"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _pick(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Unique:
    """Draws again until a value is unused, so two simulated people never share an id.

    ``draw`` gets the attempt number, so a draw with few outcomes (an office address) can
    disambiguate the way people do ("annv2@").
    """

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, draw: Callable[[int], str]) -> str:
        attempt = 0
        while (value := draw(attempt)) in self.used:
            attempt += 1
        self.used.add(value)
        return value


def make_people(rng: random.Random, count: int) -> list[Person]:
    emails, phones = _Unique(), _Unique()
    return [_person(rng, i, emails, phones) for i in range(count)]


def _person(rng: random.Random, index: int, emails: _Unique, phones: _Unique) -> Person:
    abroad = rng.choice(c.FOREIGN) if rng.random() < c.SHARE_ABROAD else None
    person = _foreigner(rng, index, abroad) if abroad else _vietnamese(rng, index)
    company = rng.choice(c.COMPANIES) if person.vietnamese and rng.random() < 0.04 else None
    person.company = company
    person.email = emails.take(lambda attempt: _email(rng, person, company, attempt))
    person.phone = phones.take(lambda _: _phone(rng, abroad))
    person.devices = _devices(rng, person)
    # People on both the website and the app are more often the regulars.
    person.loyal = rng.random() < (0.45 if len(person.devices) > 1 else 0.2)
    return person


def _vietnamese(rng: random.Random, index: int) -> Person:
    sex = rng.choice("mf")
    family = rng.choices(c.FAMILY_NAMES, weights=c.FAMILY_WEIGHTS)[0]
    middle, given = rng.choice(c.MIDDLE_NAMES[sex]), rng.choice(c.GIVEN_NAMES[sex])
    return Person(
        user_id=f"KH{100001 + index}",
        first_name=given,
        last_name=f"{family} {middle}",
        full_name=f"{family} {middle} {given}",
        email="",
        phone="",
        city=_pick(rng, c.CITIES),
        country="Vietnam",
        timezone=VN_TIMEZONE,
        locale="en-US" if rng.random() < 0.1 else "vi-VN",
        plain_name=rng.random() < 0.35,
        favorite=rng.choices(c.CATEGORIES, weights=c.CATEGORY_WEIGHTS)[0],
        registered=rng.random() < 0.55,
    )


def _foreigner(rng: random.Random, index: int, abroad: c.Abroad) -> Person:
    first, last = rng.choice(abroad.names)
    return Person(
        user_id=f"KH{100001 + index}",
        first_name=first,
        last_name=last,
        full_name=f"{first} {last}",
        email="",
        phone="",
        city=abroad.city,
        country=abroad.country,
        timezone=abroad.timezone,
        locale=abroad.locale,
        plain_name=True,
        favorite=rng.choice(c.CATEGORIES),
        registered=rng.random() < 0.5,
    )


def _email(
    rng: random.Random, person: Person, company: tuple[Any, ...] | None, attempt: int
) -> str:
    given = fold(person.first_name).lower().replace(" ", "")
    parts = fold(person.last_name).lower().split()
    if company is not None:  # Vietnamese office style: given name + initials, "annv@"
        local = given + "".join(p[0] for p in parts[::-1]) + (str(attempt + 1) if attempt else "")
        domain = company[1]
    else:
        local = rng.choice(
            (
                f"{given}.{parts[0]}{rng.randint(80, 99) if rng.random() < 0.5 else ''}",
                f"{''.join(parts)}{given}{rng.randint(1, 999)}",
                f"{given}{parts[0]}{rng.randint(1990, 2006)}",
            )
        )
        domain = _pick(rng, c.FREE_MAIL)
    # The reserved .example TLD (RFC 2606) keeps a demo workspace from ever mailing a real
    # inbox once a mail channel is configured, while the provider part stays recognizable.
    return f"{local}@{domain}.example"


def _phone(rng: random.Random, abroad: c.Abroad | None) -> str:
    if abroad is not None:
        return abroad.phone_prefix + "".join(rng.choices("0123456789", k=abroad.phone_digits))
    return rng.choice(c.VN_MOBILE_PREFIXES) + "".join(rng.choices("0123456789", k=7))


def _devices(rng: random.Random, person: Person) -> list[Device]:
    first = _web_device(rng) if rng.random() < 0.7 else _app_device(rng)
    if rng.random() >= 0.3:
        return [first]
    # A second device is the other channel: the web shopper installs the app, or vice versa.
    second = _app_device(rng) if first.platform == "web" else _web_device(rng)
    return [first, second]


def _ip(rng: random.Random) -> str:
    return rng.choice(c.IP_PREFIXES) + str(rng.randint(1, 254))


def _web_device(rng: random.Random) -> Device:
    return Device(_uuid(rng), "web", _pick(rng, tuple((a, w) for w, a in c.WEB_AGENTS)), _ip(rng))


def _app_device(rng: random.Random) -> Device:
    _, platform, maker, model, os_version, agent = rng.choices(
        c.APP_DEVICES, weights=[d[0] for d in c.APP_DEVICES]
    )[0]
    anonymous_id = _uuid(rng)
    app = {
        "app": dict(c.APP_INFO),
        "device": {"id": anonymous_id, "manufacturer": maker, "model": model, "type": platform},
        "os": {"name": "iOS" if platform == "ios" else "Android", "version": os_version},
        "network": {"wifi": rng.random() < 0.6, "carrier": rng.choice(c.CARRIERS)},
    }
    return Device(anonymous_id, platform, agent, _ip(rng), app)
