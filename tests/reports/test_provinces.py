"""Vietnamese places to the current provinces, and city rows regrouped per province."""

from __future__ import annotations

import pytest

from unicx.reports.models import GeoRow
from unicx.reports.provinces import UNITS, fold, is_vietnam, province_of, regroup


@pytest.mark.parametrize(
    ("place", "province"),
    [
        ("TP. Hồ Chí Minh", "TP. Hồ Chí Minh"),
        ("Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh"),
        ("Ho Chi Minh City", "TP. Hồ Chí Minh"),
        ("tp.hcm", "TP. Hồ Chí Minh"),
        ("Vũng Tàu", "TP. Hồ Chí Minh"),  # Bà Rịa - Vũng Tàu joined it on 1 July 2025
        ("ha noi", "Hà Nội"),
        ("Hanoi", "Hà Nội"),
        ("Tỉnh Đồng Nai", "Đồng Nai"),
        ("Biên Hòa", "Đồng Nai"),
        ("Bien Hoa", "Đồng Nai"),
        ("Nha Trang", "Khánh Hòa"),
        ("Buôn Ma Thuột", "Đắk Lắk"),
        ("Quy Nhơn", "Gia Lai"),
        ("Huế", "Huế"),
        ("Thừa Thiên Huế", "Huế"),
        ("Vinh", "Nghệ An"),
        ("Hà Giang", "Tuyên Quang"),
        ("Nowhere", None),
        ("", None),
        (None, None),
    ],
)
def test_places_map_to_current_provinces(place: str | None, province: str | None) -> None:
    assert province_of(place) == province


def test_there_are_34_units_and_no_name_points_to_two() -> None:
    assert len(UNITS) == 34
    owners: dict[str, set[str]] = {}
    for unit, aliases in UNITS.items():
        for name in (unit, *aliases):
            owners.setdefault(fold(name), set()).add(unit)
    assert {name: units for name, units in owners.items() if len(units) > 1} == {}


def test_vietnam_spellings() -> None:
    assert all(is_vietnam(c) for c in ("Vietnam", "Việt Nam", "VN", "viet nam"))
    assert not is_vietnam("Singapore") and not is_vietnam(None)


def _row(country: str | None, city: str | None, users: int, buyers: int, revenue: float) -> GeoRow:
    return GeoRow(
        country=country, city=city, active_users=users, buyers=buyers, orders=buyers,
        revenue=revenue, revenue_per_user=None, revenue_per_buyer=None,
        average_order_value=None, conversion=None,
    )  # fmt: skip


def test_regroup_sums_cities_into_provinces() -> None:
    rows = [
        _row("Vietnam", "Biên Hòa", 2, 1, 100.0),
        _row("Vietnam", "Đồng Nai", 3, 2, 300.0),
        _row("Vietnam", "Somewhere", 1, 0, 0.0),
        _row("Singapore", "Singapore", 4, 1, 50.0),
        _row("Singapore", "Jurong", 1, 1, 25.0),
        _row(None, None, 5, 0, 0.0),
    ]
    merged = regroup(rows, limit=10)
    assert [(r.country, r.province, r.known) for r in merged] == [
        ("Vietnam", "Đồng Nai", True),
        ("Singapore", None, False),
        (None, None, False),
        ("Vietnam", "Somewhere", False),
    ]
    dong_nai = merged[0]
    assert (dong_nai.active_users, dong_nai.buyers, dong_nai.revenue) == (5, 3, 400.0)
    assert dong_nai.conversion == 0.6 and dong_nai.revenue_per_user == 80.0
    assert sum(r.active_users for r in merged) == sum(r.active_users for r in rows)
    assert len(regroup(rows, limit=2)) == 2
