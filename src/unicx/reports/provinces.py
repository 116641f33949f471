"""Geography by Vietnamese province: the city report's rows regrouped into provinces.

Events carry free-text places (``context.location.city``: "TP. Hồ Chí Minh", "Ha Noi",
"Biên Hòa", "Vũng Tàu"...). For people in Vietnam the text is matched, without diacritics,
case or "Tỉnh"/"Thành phố" prefixes, against the 34 province-level units in force since
1 July 2025 (Resolution 202/2025/QH15), the 63 former provinces they merged, and the larger
cities; each Vietnamese row then shows its province's name. Text that matches nothing stays
as written (``known`` false), so nothing is lost. People abroad are one row per country.
Every count adds up: the city report already places each person in exactly one place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any, Literal, Unpack

from pydantic import BaseModel, Field

from unicx.config import Settings
from unicx.reports import service
from unicx.reports.models import GeoRow, Report, ReportParams
from unicx.reports.scope import invalid
from unicx.store import Store

VIETNAM = frozenset({"vietnam", "viet nam", "vn", "vnm", "socialist republic of vietnam"})
# Each current unit, then the former provinces merged into it and cities inside it.
UNITS: dict[str, tuple[str, ...]] = {
    "Hà Nội": ("Hanoi", "Thủ đô Hà Nội", "Hà Đông", "Sơn Tây"),
    "TP. Hồ Chí Minh": (
        "Hồ Chí Minh",
        "Ho Chi Minh City",
        "HCMC",
        "HCM",
        "TP.HCM",
        "TPHCM",
        "Sài Gòn",
        "Saigon",
        "Thủ Đức",
        "Bình Dương",
        "Thủ Dầu Một",
        "Dĩ An",
        "Thuận An",
        "Bà Rịa - Vũng Tàu",
        "Bà Rịa\u2013Vũng Tàu",
        "Vũng Tàu",
        "Bà Rịa",
    ),
    "Hải Phòng": ("Haiphong", "Hải Dương", "Chí Linh"),
    "Đà Nẵng": ("Danang", "Quảng Nam", "Hội An", "Tam Kỳ"),
    "Cần Thơ": ("Sóc Trăng", "Hậu Giang", "Vị Thanh"),
    "Huế": ("Thừa Thiên Huế", "Thừa Thiên - Huế", "Hue"),
    "An Giang": ("Kiên Giang", "Long Xuyên", "Châu Đốc", "Rạch Giá", "Phú Quốc"),
    "Bắc Ninh": ("Bắc Giang",),
    "Cà Mau": ("Bạc Liêu",),
    "Cao Bằng": (),
    "Đắk Lắk": ("Dak Lak", "Phú Yên", "Buôn Ma Thuột", "Buon Me Thuot", "Tuy Hòa"),
    "Điện Biên": ("Điện Biên Phủ",),
    "Đồng Nai": ("Bình Phước", "Biên Hòa", "Long Khánh", "Đồng Xoài"),
    "Đồng Tháp": ("Tiền Giang", "Mỹ Tho", "Cao Lãnh", "Sa Đéc"),
    "Gia Lai": ("Bình Định", "Pleiku", "Quy Nhơn"),
    "Hà Tĩnh": (),
    "Hưng Yên": ("Thái Bình",),
    "Khánh Hòa": ("Ninh Thuận", "Nha Trang", "Cam Ranh", "Phan Rang - Tháp Chàm", "Phan Rang"),
    "Lai Châu": (),
    "Lạng Sơn": (),
    "Lào Cai": ("Yên Bái", "Sa Pa", "Sapa"),
    "Lâm Đồng": ("Đắk Nông", "Bình Thuận", "Đà Lạt", "Dalat", "Bảo Lộc", "Phan Thiết", "Gia Nghĩa"),
    "Nghệ An": ("Vinh",),
    "Ninh Bình": ("Hà Nam", "Nam Định", "Phủ Lý", "Tam Điệp"),
    "Phú Thọ": ("Vĩnh Phúc", "Hòa Bình", "Việt Trì", "Vĩnh Yên", "Phúc Yên"),
    "Quảng Ngãi": ("Kon Tum",),
    "Quảng Ninh": ("Hạ Long", "Halong", "Cẩm Phả", "Móng Cái", "Uông Bí"),
    "Quảng Trị": ("Quảng Bình", "Đồng Hới", "Đông Hà"),
    "Sơn La": (),
    "Tây Ninh": ("Long An", "Tân An"),
    "Thái Nguyên": ("Bắc Kạn", "Bắc Cạn", "Sông Công"),
    "Thanh Hóa": ("Sầm Sơn",),
    "Tuyên Quang": ("Hà Giang",),
    "Vĩnh Long": ("Bến Tre", "Trà Vinh"),
}
_PREFIXES = ("thanh pho ", "tinh ", "tp. ", "tp ", "t. ", "city of ", "province of ")
_SUFFIXES = (" province", " city", " municipality")


def fold(text: str) -> str:
    """Lower case, no diacritics (đ as d), single spaces: what two spellings share."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = " ".join(plain.replace("\u2013", "-").replace(" - ", "-").split())
    for prefix in _PREFIXES:
        plain = plain.removeprefix(prefix)
    for suffix in _SUFFIXES:
        plain = plain.removesuffix(suffix)
    return plain.replace("-", " ").replace(".", "").strip()


def _index() -> dict[str, str]:
    names = {fold(unit): unit for unit in UNITS}
    for unit, aliases in UNITS.items():
        names |= {fold(alias): unit for alias in aliases}
    return names


_INDEX = _index()


def province_of(place: str | None) -> str | None:
    """The current province-level unit a Vietnamese place text names, if any."""
    return _INDEX.get(fold(place)) if place else None


def is_vietnam(country: str | None) -> bool:
    return country is not None and fold(country) in VIETNAM


class ProvincesParams(ReportParams):
    level: Literal["province"] = "province"
    limit: int


class ProvinceRow(BaseModel):
    country: str | None
    province: str | None = Field(description="Vietnamese province (or the place as written)")
    known: bool = Field(description="province is one of the 34 current units")
    active_users: int
    buyers: int
    orders: int
    revenue: float
    revenue_per_user: float | None
    revenue_per_buyer: float | None
    average_order_value: float | None
    conversion: float | None = Field(description="buyers / active_users")


class ProvincesReport(Report):
    params: ProvincesParams
    rows: list[ProvinceRow]


def _key(row: GeoRow) -> tuple[str | None, str | None, bool]:
    if not is_vietnam(row.country):
        return row.country, None, False
    province = province_of(row.city)
    return row.country, province or row.city, province is not None


def _ratio(numerator: float, denominator: int, digits: int | None = 2) -> float | None:
    if not denominator:
        return None
    value = numerator / denominator
    return round(value, digits) if digits is not None else value


def _row(key: tuple[str | None, str | None, bool], group: list[GeoRow]) -> ProvinceRow:
    users, buyers = sum(r.active_users for r in group), sum(r.buyers for r in group)
    orders, revenue = sum(r.orders for r in group), round(sum(r.revenue for r in group), 2)
    return ProvinceRow(
        country=key[0],
        province=key[1],
        known=key[2],
        active_users=users,
        buyers=buyers,
        orders=orders,
        revenue=revenue,
        revenue_per_user=_ratio(revenue, users),
        revenue_per_buyer=_ratio(revenue, buyers),
        average_order_value=_ratio(revenue, orders),
        conversion=_ratio(buyers, users, None),
    )


def regroup(rows: Iterable[GeoRow], limit: int) -> list[ProvinceRow]:
    """City rows summed per province (Vietnam) or country (elsewhere), by revenue."""
    groups: dict[tuple[str | None, str | None, bool], list[GeoRow]] = {}
    for row in rows:
        groups.setdefault(_key(row), []).append(row)
    merged = [_row(key, group) for key, group in groups.items()]
    merged.sort(
        key=lambda r: (-r.revenue, -r.active_users, r.country or "\uffff", r.province or "")
    )
    return merged[:limit]


def provinces(
    store: Store, settings: Settings, *, limit: int = 100, **common: Unpack[service.Filter]
) -> ProvincesReport:
    """Active users, buyers, orders and revenue per Vietnamese province (and other country)."""
    if not 1 <= limit <= service.MAX_ROWS:
        raise invalid("limit", "range", f"must be between 1 and {service.MAX_ROWS} (got {limit})")
    cities = service.geography(store, settings, level="city", limit=service.MAX_ROWS, **common)
    params: dict[str, Any] = {**cities.params.model_dump(by_alias=True), "level": "province"}
    return ProvincesReport.model_validate(
        {"params": {**params, "limit": limit}, "rows": regroup(cities.rows, limit)}
    )
