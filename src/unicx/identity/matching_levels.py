"""The comparisons of probabilistic matching (Splink levels with prior m/u), the term
frequencies of names, and the rule for which pairs may merge without a person.

Why these shapes (see docs/identity-matching.md): in Vietnam a handful of full names are shared
by thousands (Nguyễn is the family name of 38 %), so agreement on a *common* name is weak
evidence — term-frequency adjustments scale each name level by how often that name occurs.
Two namesakes usually differ in what is personal: phone, e-mail, house number, birth date;
when both records hold one of these and they disagree, the level weighs *against* a match
(m < u), while a missing value is neutral (the null level).
"""

from __future__ import annotations

from typing import Final

import splink.comparison_level_library as cll
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.comparison_library import CustomComparison

JW: Final = "jaro_winkler_similarity"
# Pseudo-count of the term frequencies: a name seen twice among 30 profiles is not "common"
# yet, so a workspace's counts are shrunk towards the level's prior u until there are
# thousands of records to trust (Bayesian smoothing; see term_frequency_sql).
TF_PSEUDO_RECORDS: Final = 2_000
# (column, prior u of the level that adjusts on it, weight): the family name is shared by so
# many that an agreement on it says almost nothing; the given name a little more.
TF_COLUMNS: Final = (("name_full", 0.0005, 1.0), ("name_family", 0.15, 1.0),
                     ("name_tail", 0.02, 1.0))  # fmt: skip


def _level(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label_for_charts=label)


def _tf_level(sql: str, label: str, column: str) -> ComparisonLevelCreator:
    """A level whose weight is scaled by the frequency of the value in ``column``."""
    weight = next(w for c, _, w in TF_COLUMNS if c == column)
    return _level(sql, label).configure(
        tf_adjustment_column=column,
        tf_adjustment_weight=weight,
        disable_tf_exact_match_detection=True,
    )


def _comparison(
    name: str, levels: list[ComparisonLevelCreator], m: list[float], u: list[float]
) -> ComparisonCreator:
    out = CustomComparison(comparison_levels=list(levels), output_column_name=name)
    return out.configure(m_probabilities=m, u_probabilities=u)


# Folded Vietnamese given names are short, and one substituted letter makes another name
# (hung/dung/hưng, lan/lam): a near-match on the whole name only counts when the tên agrees,
# or differs by a dropped/added letter ("Minhh"), or is long enough for a typo to be likely.
_TAIL_CLOSE: Final = (
    "(name_tail_l = name_tail_r OR length(name_tail_l) <> length(name_tail_r) "
    "OR length(name_tail_l) >= 5)"
)


def _name() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        cll.NullLevel("name_full"),
        _tf_level("name_full_l = name_full_r", "exact", "name_full"),
        _level(
            "name_family_l = name_given_r AND name_given_l = name_family_r", "family/given swapped"
        ),
        _level(
            f"{JW}(name_family_l, name_family_r) >= 0.92 AND "
            f"{JW}(coalesce(name_given_l, ''), coalesce(name_given_r, '')) >= 0.92 "
            f"AND {_TAIL_CLOSE}",
            "both parts jw>=0.92",
        ),
        _level(
            f"({JW}(name_family_l, name_family_r) >= 0.88 AND "
            f"{JW}(coalesce(name_given_l, ''), coalesce(name_given_r, '')) >= 0.88 "
            f"AND {_TAIL_CLOSE}) OR "
            "(name_family_l = name_family_r AND name_tail_l = name_tail_r)",
            "both parts jw>=0.88 or middle name differs",
        ),
        _tf_level("name_family_l = name_family_r", "family name", "name_family"),
        _tf_level("name_tail_l = name_tail_r", "given name", "name_tail"),
        cll.ElseLevel(),
    ]
    m = [0.70, 0.01, 0.12, 0.10, 0.04, 0.027, 0.003]
    u = [0.0005, 0.00005, 0.001, 0.005, 0.15, 0.02, 0.82345]
    return _comparison("name", levels, m, u)


def _dob() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        cll.NullLevel("dob"),
        _level("dob_l = dob_r", "exact"),
        _level(
            "year(dob_l) = year(dob_r) AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r)",
            "day and month swapped",
        ),
        _level("damerau_levenshtein(dob_str_l, dob_str_r) <= 1", "one typo"),
        _level("birth_year_l = birth_year_r", "same year"),
        cll.ElseLevel(),
    ]
    m = [0.80, 0.04, 0.10, 0.03, 0.03]
    u = [0.00005, 0.00003, 0.001, 0.016, 0.98292]
    return _comparison("dob", levels, m, u)


def _phone() -> ComparisonCreator:
    # A person changes number now and then (m 0.08 for "another number"), but two random
    # people almost never share one: a different number is evidence against (factor ≈ 0.08).
    levels: list[ComparisonLevelCreator] = [
        cll.NullLevel("phone"),
        _level("phone_l = phone_r", "exact"),
        _level("damerau_levenshtein(phone_l, phone_r) <= 1", "one typo"),
        _level("true", "another number"),
    ]
    return _comparison("phone", levels, [0.85, 0.07, 0.08], [0.00001, 0.0001, 0.99989])


# E-mails that differ only in letters, at most two edits: a typo. Digits must agree, since
# Vietnamese addresses are mostly name + number (nguyenvanhung12@ / nguyenvanhung13@ are two
# people).
_EMAIL_TYPO: Final = (
    "damerau_levenshtein(email_l, email_r) <= 2 AND "
    "regexp_replace(email_l, '[^0-9]', '', 'g') = regexp_replace(email_r, '[^0-9]', '', 'g')"
)


def _email() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        cll.NullLevel("email"),
        _level("email_l = email_r", "exact"),
        _level("email_local_l = email_local_r", "same local part"),
        _level(_EMAIL_TYPO, "typo"),
        _level("true", "another address"),
    ]
    m = [0.55, 0.15, 0.12, 0.18]
    return _comparison("email", levels, m, [0.00001, 0.0001, 0.0002, 0.99969])


def _address() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        cll.NullLevel("address"),
        _level("address_l = address_r", "exact"),
        _level(
            f"house_number_l = house_number_r AND {JW}(address_l, address_r) >= 0.88",
            "same house number, street jw>=0.88",
        ),
        # Namesakes on the same street: "12 Nguyễn Trãi" vs "45 Nguyễn Trãi" are two homes.
        _level("house_number_l <> house_number_r", "another house number"),
        _level(f"{JW}(address_l, address_r) >= 0.75", "jw>=0.75"),
        cll.ElseLevel(),
    ]
    # Priors (a workspace under MIN_TRAINING_RECORDS): another house number weighs against
    # (x0.25); trained workspaces learn how often their own data mistypes house numbers.
    m = [0.62, 0.16, 0.05, 0.06, 0.11]
    return _comparison("address", levels, m, [0.0005, 0.002, 0.2, 0.05, 0.7475])


def _city() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        cll.NullLevel("city"),
        _level("city_l = city_r", "exact"),
        _level(f"{JW}(city_l, city_r) >= 0.88", "jw>=0.88"),
        cll.ElseLevel(),
    ]
    return _comparison("city", levels, [0.85, 0.05, 0.10], [0.15, 0.01, 0.84])


def comparisons() -> list[ComparisonCreator]:
    return [_name(), _dob(), _phone(), _email(), _address(), _city()]


def level_labels() -> dict[str, dict[int, str]]:
    """gamma value → level label per comparison, for evidence people can read."""
    out: dict[str, dict[int, str]] = {}
    for comp in comparisons():
        levels = [lv for lv in comp.create_comparison_levels() if not lv.is_null_level]
        name = str(comp.create_output_column_name())
        out[name] = {len(levels) - 1 - i: lv.create_label_for_charts() for i, lv in
                     enumerate(levels)}  # fmt: skip
        out[name][-1] = "null"
    return out


# The signals strong enough for a merge without a person (any one of them): a near-identical
# phone or e-mail, or the full birth date (exact, or day and month swapped: the same digits read
# mm/dd) together with the address (same house number).
STRONG_SIGNALS: Final = (
    (("phone", ("exact", "one typo")),),
    (("email", ("exact", "same local part", "typo")),),
    (
        ("dob", ("exact", "day and month swapped")),
        ("address", ("exact", "same house number, street jw>=0.88")),
    ),
)


def strong_signal_sql() -> str:
    """SQL over the gamma columns: true when the pair carries one of ``STRONG_SIGNALS``."""
    labels = level_labels()
    alternatives = []
    for signal in STRONG_SIGNALS:
        parts = []
        for comp, wanted in signal:
            gammas = sorted(g for g, label in labels[comp].items() if label in wanted)
            parts.append(f"gamma_{comp} IN ({', '.join(str(g) for g in gammas)})")
        alternatives.append(f"({' AND '.join(parts)})")
    return " OR ".join(alternatives)


def term_frequency_sql(column: str, prior: float, n_records: int) -> str:
    """The frequency of each value of ``column`` in ``match_records``, for Splink's lookup.

    Frequency = (count - 2 + k·u) / (n - 2 + k), k = ``TF_PSEUDO_RECORDS``, u = the level's
    prior: the share of the records *beyond the pair* holding that name (the two records
    compared do not make their name common), shrunk towards the prior so a first import of 30
    customers is not scored as if every name seen twice were common; on a large workspace it
    is the observed share."""
    k = TF_PSEUDO_RECORDS
    return (
        f"SELECT {column}, (greatest(count(*) - 2, 0) + {k} * CAST({prior!r} AS DOUBLE)) / "
        f"(greatest({n_records} - 2, 0) + {k}) "
        f"AS tf_{column} FROM match_records WHERE {column} IS NOT NULL GROUP BY 1"
    )
