from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unicx.identity.normalize import (
    fold_name,
    normalize_email,
    normalize_id,
    normalize_phone,
)


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "+84912345678",
        "+84 912 345 678",
        "(+84) 912-345-678",
        912345678,
    ],
)
def test_vietnamese_mobile_forms_are_one_number(raw: object) -> None:
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+6591234567", "+6591234567"),  # Singapore stays Singapore
        ("+1 408 555 0134", "+14085550134"),  # a foreign number keeps its own country
        ("12345", None),
        ("0000000000", None),
        ("0", None),
        ("null", None),
        ("", None),
        ("không có", None),
        (None, None),
        (True, None),
        ("+84" + "9" * 60, None),
    ],
)
def test_phone_edge_cases(raw: object, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Lan.Nguyen@Gmail.COM ", "lan.nguyen@gmail.com"),  # case and spaces, dots kept
        ("an.nv@congty.com.vn", "an.nv@congty.com.vn"),
        ("test@test.com", None),
        ("TEST@TEST.COM", None),
        ("undefined", None),
        ("not-an-email", None),
        ("a@b", None),
        ("", None),
        (42, None),
    ],
)
def test_email_normalization(raw: object, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" u-1001 ", "u-1001"), (1001, "1001"), ("null", None), ("0", None), ("", None), (None, None)],
)
def test_ids_drop_placeholders(raw: object, expected: str | None) -> None:
    assert normalize_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("Nguyen Van An", "nguyen van an"),
        ("ĐẶNG  Thị   Đào", "dang thi dao"),
        ("Trần Thị Thu Hương", "tran thi thu huong"),
        ("Lê Hoàng Long", "le hoang long"),
    ],
)
def test_vietnamese_names_fold_to_the_same_text(raw: str, expected: str) -> None:
    assert fold_name(raw) == expected


@given(st.text(max_size=80))
def test_normalizers_never_raise(text: str) -> None:
    for fn in (normalize_email, normalize_phone, normalize_id):
        out = fn(text)
        assert out is None or isinstance(out, str)
    assert fold_name(text) == fold_name(fold_name(text))
