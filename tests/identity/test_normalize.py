from __future__ import annotations

import duckdb
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from unicx.identity.normalize import (
    PLACEHOLDER_EMAILS,
    PLAIN_EMAIL_MAX_LENGTH,
    PLAIN_EMAIL_PATTERN,
    SPECIAL_USE_TLDS,
    fold_name,
    is_plain_email,
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


# Addresses built from the characters that matter at the edges of the plain-address rule:
# dots, hyphens, digits, reserved names, non-ASCII letters.
_LABEL = st.text(alphabet="ab1-.", min_size=0, max_size=6)
_ADDRESS = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}{tld}",
    st.text(alphabet="ab9._%+-!é", min_size=0, max_size=8),
    st.lists(_LABEL, min_size=0, max_size=3),
    st.sampled_from(["", ".vn", ".com", ".c", ".test", ".local", ".1", ".xn--p1ai", ".vn-", "."]),
)


@settings(max_examples=2000)
@given(_ADDRESS)
def test_plain_addresses_are_what_email_validator_returns(text: str) -> None:
    # The fast path may only accept what email-validator accepts unchanged.
    if is_plain_email(text):
        assert validate_email(text, check_deliverability=False).normalized == text


def test_plain_address_rule_is_the_same_in_sql() -> None:
    samples = [
        "an.nguyen@example.vn",
        "a_b%c+d-e@sub-1.x.vn",
        "a..b@x.com",
        "a@x-.com",
        "x@foo.test",
        "x@foo.local",
        "a@1.23",
        "a@x.com1",
        "-a@x.com",
        "test@test.com",
        "tên@ví.dụ.vn",
        "a@xn--p1ai.com",
        "a" * 60 + "@x.vn",
    ]
    con = duckdb.connect()
    for text in samples:
        row = con.execute(
            "SELECT length(?1) <= ?2 AND regexp_full_match(?1, ?3)"
            " AND NOT list_contains(?4::VARCHAR[], ?1)"
            " AND NOT list_contains(?5::VARCHAR[], regexp_extract(?1, '[a-z]+$'))",
            [
                text,
                PLAIN_EMAIL_MAX_LENGTH,
                PLAIN_EMAIL_PATTERN,
                sorted(PLACEHOLDER_EMAILS),
                list(SPECIAL_USE_TLDS),
            ],
        ).fetchone()
        in_sql = bool(row and row[0])
        in_python = is_plain_email(text) and text not in PLACEHOLDER_EMAILS
        assert in_sql == in_python, text
        try:
            accepted = validate_email(text, check_deliverability=False).normalized == text
        except EmailNotValidError:
            accepted = False
        assert not in_python or accepted, text
