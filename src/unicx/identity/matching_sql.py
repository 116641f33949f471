"""SQL that turns profile traits into the records Splink compares, shared by the product and
``bench/identity.py`` so both measure the same thing.

Folding happens in SQL: ``strip_accents`` removes the Vietnamese tone and vowel marks and đ/Đ,
a letter of its own, is mapped to d first (as :func:`unicx.identity.normalize.fold_name`
does); punctuation becomes spaces so "Nguyễn-Văn An." and "nguyen van an" compare equal.
Names are read family name first (Vietnamese order: họ, đệm, tên): ``name_family`` is the
first word, ``name_given`` the rest and ``name_tail`` the last word (the tên), so a dropped
middle name ("Nguyễn An" vs "Nguyễn Văn An") still agrees on family and tail.
``house_number`` is the address's first word when it starts with a digit ("12", "12a"): two
namesakes on one street differ there.
"""

from __future__ import annotations

from typing import Final

# Trait names read from profile_traits (the identify traits of a profile).
TRAIT_NAMES: Final = (
    "full_name",
    "first_name",
    "last_name",
    "birth_date",
    "phone",
    "email",
    "address",
    "city",
)

# Columns of the raw relation ``match_raw`` the record step reads (all VARCHAR; phone and
# email already normalized).
RAW_COLUMNS: Final = (
    "unique_id",
    "full_name",
    "first_name",
    "last_name",
    "birth_date",
    "phone",
    "email",
    "address",
    "city",
)


def fold(expr: str) -> str:
    """SQL for a diacritic-folded, lower-case, punctuation-free, single-spaced text."""
    return (
        "nullif(trim(regexp_replace(lower(strip_accents(replace(replace("
        f"{expr}, 'đ', 'd'), 'Đ', 'D'))), '[^a-z0-9]+', ' ', 'g')), '')"
    )


def parse_date(expr: str) -> str:
    """A birth date written ISO (1990-05-17), Vietnamese style (17/05/1990, 17-05-1990) or
    compact (19900517). Day first wins for slashes: that is how dates are written here."""
    formats = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y")
    tries = ", ".join(f"try_strptime(trim({expr}), '{f}')" for f in formats)
    return f"CAST(coalesce({tries}) AS DATE)"


# Address spelling variants: "Q.5"/"Q5" → "quan 5", "P.2" → "phuong 2", "Số 12" → "12",
# "Đường X" → "X", so the string comparisons see the same words.
_ADDRESS_RULES: Final = (
    (r"\bq (\d+)\b", r"quan \1"),
    (r"\bq(\d+)\b", r"quan \1"),
    (r"\bp (\d+)\b", r"phuong \1"),
    (r"\bp(\d+)\b", r"phuong \1"),
    (r"\b(so|duong|d) ", ""),
    (r"\b(tp|thanh pho) ", ""),
)

# The big cities under their usual spellings, compared without spaces.
_CITY_ALIASES: Final = {
    "hochiminh": ("hcm", "hcmc", "tphcm", "saigon", "hochiminh", "hochiminhcity"),
    "hanoi": ("hn", "hanoi", "tphn"),
    "danang": ("danang",),
    "haiphong": ("haiphong", "hp"),
    "cantho": ("cantho",),
}


def _address(expr: str) -> str:
    out = fold(expr)
    for pattern, repl in _ADDRESS_RULES:
        out = f"regexp_replace({out}, '{pattern}', '{repl}', 'g')"
    return f"nullif(trim({out}), '')"


def _city_compact(expr: str) -> str:
    return f"regexp_replace(replace({fold(expr)}, ' ', ''), '^(thanhpho|tp|tinh)(.)', '\\2')"


def _city(column: str) -> str:
    whens = " ".join(
        f"WHEN {column} IN ({', '.join(repr(a) for a in aliases)}) THEN '{canon}'"
        for canon, aliases in _CITY_ALIASES.items()
    )
    return f"CASE {whens} ELSE {column} END"


def records_sql(raw: str = "match_raw") -> str:
    """The comparison records (one per profile with a name) from the ``raw`` relation."""
    full = (
        "coalesce(nullif(trim(full_name), ''), nullif(concat_ws(' ', nullif(trim(last_name), ''),"
        " nullif(trim(first_name), '')), ''))"
    )
    return f"""
WITH f AS (
    SELECT unique_id, {fold(full)} AS name_full, {parse_date("birth_date")} AS dob,
           nullif(trim(phone), '') AS phone, nullif(trim(email), '') AS email,
           {_address("address")} AS address, {_city_compact("city")} AS city_c
    FROM {raw}
)
SELECT unique_id, name_full,
       split_part(name_full, ' ', 1) AS name_family,
       nullif(trim(substr(name_full, length(split_part(name_full, ' ', 1)) + 1)), '')
           AS name_given,
       regexp_extract(name_full, '(\\S+)$', 1) AS name_tail,
       dob, strftime(dob, '%Y-%m-%d') AS dob_str, year(dob) AS birth_year,
       phone, email, split_part(email, '@', 1) AS email_local, address,
       nullif(regexp_extract(address, '^([0-9][a-z0-9]*)', 1), '') AS house_number,
       {_city("city_c")} AS city
FROM f
WHERE name_full IS NOT NULL
"""


# Latest identify traits per profile, pivoted to one row; phones/emails fall back to the
# profile's identifiers. ``match_phone_norm(raw, e164)`` holds the trait phones normalized in
# Python (phonenumbers), since SQL cannot parse them.
WORKSPACE_RAW_SQL = """
WITH t AS (
    SELECT profile_id, name, json_extract_string(arg_max(value, updated_at), '$') AS v
    FROM profile_traits
    WHERE name IN ('full_name', 'first_name', 'last_name', 'birth_date', 'phone', 'email',
                   'address', 'city')
    GROUP BY ALL
), p AS (
    SELECT profile_id,
           max(v) FILTER (WHERE name = 'full_name') AS full_name,
           max(v) FILTER (WHERE name = 'first_name') AS first_name,
           max(v) FILTER (WHERE name = 'last_name') AS last_name,
           max(v) FILTER (WHERE name = 'birth_date') AS birth_date,
           max(v) FILTER (WHERE name = 'phone') AS phone_raw,
           max(v) FILTER (WHERE name = 'address') AS address,
           max(v) FILTER (WHERE name = 'city') AS city
    FROM t GROUP BY profile_id
), ids AS (
    SELECT profile_id,
           min(id_value) FILTER (WHERE id_type = 'phone') AS phone,
           min(id_value) FILTER (WHERE id_type = 'email') AS email
    FROM identities WHERE id_type IN ('phone', 'email') GROUP BY profile_id
)
SELECT p.profile_id AS unique_id, full_name, first_name, last_name, birth_date,
       coalesce(n.e164, ids.phone) AS phone, ids.email, address, city
FROM p
JOIN profiles USING (profile_id)
LEFT JOIN ids USING (profile_id)
LEFT JOIN match_phone_norm n ON n.raw = p.phone_raw
"""

TRAIT_PHONES_SQL = """
SELECT DISTINCT json_extract_string(value, '$') FROM profile_traits
WHERE name = 'phone' AND value IS NOT NULL
"""
