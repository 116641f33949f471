"""A small labelled CRM-like set of Vietnamese customers for the matching tests.

Each row: key, identifier (type, value), traits. ``d<k>-a``/``d<k>-b`` are one person written
twice; ``r1-a``/``r1-b`` might be (the review band); ``n…`` and ``s…`` are people of their own,
``n…`` sharing a common name or a birth date with one of the duplicates.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from unicx.store import Store

Row = tuple[str, tuple[str, str], dict[str, str]]

ROWS: list[Row] = [
    # Diacritics dropped, date written day-first, phone written two ways.
    (
        "d1-a",
        ("email", "an.nguyen@gmail.com"),
        {
            "full_name": "Nguyễn Văn An",
            "birth_date": "1990-05-17",
            "phone": "0912345678",
            "city": "TP. Hồ Chí Minh",
            "address": "12 Nguyễn Trãi, Q.5",
        },
    ),
    (
        "d1-b",
        ("crm_id", "C0001"),
        {
            "full_name": "Nguyen Van An",
            "birth_date": "17/05/1990",
            "phone": "+84 912 345 678",
            "city": "HCM",
            "address": "12 nguyen trai quan 5",
        },
    ),
    # Day and month swapped.
    (
        "d2-a",
        ("email", "ngoc.tran@yahoo.com"),
        {
            "full_name": "Trần Thị Bích Ngọc",
            "birth_date": "1985-03-07",
            "city": "Hà Nội",
            "address": "45 Láng Hạ, Đống Đa",
        },
    ),
    (
        "d2-b",
        ("crm_id", "C0002"),
        {
            "full_name": "Tran Thi Bich Ngoc",
            "birth_date": "1985-07-03",
            "city": "Ha Noi",
            "address": "45 Lang Ha Dong Da",
        },
    ),
    # A typo in the name, the phone spaced.
    (
        "d3-a",
        ("crm_id", "C0003"),
        {
            "full_name": "Lê Hoàng Minh",
            "birth_date": "1978-11-02",
            "phone": "0903123456",
            "city": "Đà Nẵng",
        },
    ),
    (
        "d3-b",
        ("crm_id", "C0004"),
        {
            "full_name": "Le Hoang Minhh",
            "birth_date": "02/11/1978",
            "phone": "0903 123 456",
            "city": "Da Nang",
        },
    ),
    # Middle name dropped.
    (
        "d4-a",
        ("crm_id", "C0005"),
        {
            "full_name": "Phạm Thị Lan",
            "birth_date": "1995-01-20",
            "phone": "0987654321",
            "city": "Hồ Chí Minh",
        },
    ),
    (
        "d4-b",
        ("crm_id", "C0006"),
        {"full_name": "Phạm Lan", "birth_date": "20/01/1995", "phone": "0987654321"},
    ),
    # First/last name columns on one side, full name on the other, same e-mail local part.
    (
        "d5-a",
        ("email", "hung.vo@gmail.com"),
        {
            "first_name": "Hùng",
            "last_name": "Võ Văn",
            "birth_date": "1982-09-09",
            "city": "Cần Thơ",
        },
    ),
    (
        "d5-b",
        ("email", "hung.vo@yahoo.com"),
        {"full_name": "Võ Văn Hùng", "birth_date": "09/09/1982", "city": "Can Tho"},
    ),
    # đ/Đ, same address.
    (
        "d6-a",
        ("crm_id", "C0007"),
        {
            "full_name": "Đặng Thu Thảo",
            "birth_date": "1993-12-01",
            "address": "88 Điện Biên Phủ, Bình Thạnh",
            "city": "Sài Gòn",
        },
    ),
    (
        "d6-b",
        ("crm_id", "C0008"),
        {
            "full_name": "Dang Thu Thao",
            "birth_date": "1993-12-01",
            "address": "88 Dien Bien Phu Binh Thanh",
            "city": "TP HCM",
        },
    ),
    # Probably one person, not surely: same name, same birth year, nothing else to go on.
    ("r1-a", ("crm_id", "C0009"), {"full_name": "Bùi Quang Huy", "birth_date": "1988-04-04"}),
    ("r1-b", ("crm_id", "C0010"), {"full_name": "Bui Quang Huy", "birth_date": "1988-10-21"}),
    # Same common names, other people: different birth date and phone.
    (
        "n1",
        ("crm_id", "C0101"),
        {
            "full_name": "Nguyễn Văn An",
            "birth_date": "1972-02-11",
            "phone": "0977000111",
            "city": "Hồ Chí Minh",
        },
    ),
    (
        "n2",
        ("crm_id", "C0102"),
        {
            "full_name": "Nguyễn Văn An",
            "birth_date": "2001-12-30",
            "phone": "0918888999",
            "city": "Hà Nội",
        },
    ),
    (
        "n3",
        ("crm_id", "C0103"),
        {
            "full_name": "Trần Thị Bích Ngọc",
            "birth_date": "1999-10-10",
            "phone": "0935111222",
            "city": "Đà Nẵng",
        },
    ),
    (
        "n4",
        ("crm_id", "C0104"),
        {
            "full_name": "Phạm Thị Lan",
            "birth_date": "1968-06-15",
            "phone": "0966123123",
            "city": "Hải Phòng",
        },
    ),
    # Same birth date as d1, another person.
    (
        "n5",
        ("crm_id", "C0105"),
        {
            "full_name": "Hoàng Thị Mai",
            "birth_date": "1990-05-17",
            "phone": "0909555666",
            "city": "Hồ Chí Minh",
        },
    ),
]

SINGLES = [
    "Đỗ Thị Hương", "Hồ Minh Tuấn", "Ngô Thanh Tùng", "Dương Thị Yến",
    "Lý Gia Bảo", "Vũ Đức Thắng", "Trịnh Thị Thu", "Mai Anh Tú", "Tô Ngọc Hân",
    "Châu Văn Lộc", "Lâm Thị Kim", "Kiều Minh Quân",
]  # fmt: skip
for i, name in enumerate(SINGLES):
    ROWS.append(
        (f"s{i}", ("crm_id", f"C02{i:02d}"), {"full_name": name,
         "birth_date": f"19{70 + i}-0{1 + i % 9}-1{i % 9}", "phone": f"09120000{i:02d}",
         "city": ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng"][i % 3]})
    )  # fmt: skip


def true_pairs() -> set[frozenset[str]]:
    groups: dict[str, list[str]] = {}
    for key, _, _ in ROWS:
        if key.startswith("d"):
            groups.setdefault(key.split("-")[0], []).append(key)
    return {frozenset(v) for v in groups.values()}


def load(store: Store, rows: list[Row] = ROWS) -> dict[str, str]:
    """Insert one profile per row (profile id = ``p-<key>``); returns key → profile id."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    ids: dict[str, str] = {}
    with store.session() as s, s.transaction():
        for i, (key, (id_type, id_value), traits) in enumerate(rows):
            pid = f"p-{key}"
            ids[key] = pid
            at = base + timedelta(minutes=i)
            s.execute("INSERT INTO profiles VALUES (?, ?, ?)", [pid, at, at], step="t.profile")
            s.execute(
                "INSERT INTO identities VALUES (?, ?, ?, ?, ?)",
                [id_type, id_value, pid, at, at],
                step="t.identity",
            )
            for name, value in traits.items():
                s.execute(
                    "INSERT INTO profile_traits VALUES (?, ?, ?, ?)",
                    [pid, name, json.dumps(value, ensure_ascii=False), at],
                    step="t.trait",
                )
    return ids


def profile_of(store: Store, id_type: str, id_value: str) -> str:
    with store.session() as s:
        row = s.fetchone(
            "SELECT profile_id FROM identities WHERE id_type = ? AND id_value = ?",
            [id_type, id_value],
            step="t.profile_of",
        )
    assert row is not None
    return str(row[0])


def identifier(key: str) -> tuple[str, str]:
    return next(r[1] for r in ROWS if r[0] == key)


def traits(key: str) -> dict[str, Any]:
    return next(r[2] for r in ROWS if r[0] == key)
