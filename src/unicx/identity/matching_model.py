"""The Splink model of probabilistic matching: blocking rules, comparisons, priors, training.

The product (:mod:`unicx.identity.matching`) and ``bench/identity.py`` both call
:func:`score_pairs`, so the accuracy the benchmark reports is the product's.

Splink runs on a private in-memory DuckDB connection, never on the workspace's: it creates
and drops dozens of ``__splink__*`` tables of its own, which must not land in (or bloat the WAL
of) the workspace file, nor run outside the store's single SQL seam while the server writes.
The records (one small row per named profile) are copied in as Arrow.

Parameters: every level starts from a prior m/u (error rates typical of CRM data, below), so a
workspace of 30 profiles still gets sensible scores. From ``MIN_TRAINING_RECORDS`` records on,
u is estimated by random sampling (seeded, so reruns give the same scores) and m by
expectation maximisation over two blocking passes; the priors stay where training has no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.comparison_library import CustomComparison

MIN_TRAINING_RECORDS: Final = 2_000
U_SAMPLE_PAIRS: Final = 2e6
EM_MAX_PAIRS: Final = 1e6
SEED: Final = 42
# Share of records assumed to have a duplicate, for the prior match probability of a pair.
PRIOR_DUPLICATE_RATE: Final = 0.05


def _level(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label_for_charts=label)


def _null(col: str) -> ComparisonLevelCreator:
    return cll.NullLevel(col)


def _comparison(
    name: str, levels: list[ComparisonLevelCreator], m: list[float], u: list[float]
) -> ComparisonCreator:
    out = CustomComparison(comparison_levels=list(levels), output_column_name=name)
    return out.configure(m_probabilities=m, u_probabilities=u)


def _name() -> ComparisonCreator:
    jw = "jaro_winkler_similarity"
    levels: list[ComparisonLevelCreator] = [
        _null("name_full"),
        _level("name_full_l = name_full_r", "exact"),
        _level(
            "name_family_l = name_given_r AND name_given_l = name_family_r", "family/given swapped"
        ),
        _level(
            f"{jw}(name_family_l, name_family_r) >= 0.92 AND "
            f"{jw}(coalesce(name_given_l, ''), coalesce(name_given_r, '')) >= 0.92",
            "both parts jw>=0.92",
        ),
        _level(
            f"({jw}(name_family_l, name_family_r) >= 0.88 AND "
            f"{jw}(coalesce(name_given_l, ''), coalesce(name_given_r, '')) >= 0.88) OR "
            "(name_family_l = name_family_r AND name_tail_l = name_tail_r)",
            "both parts jw>=0.88 or middle name differs",
        ),
        _level("name_family_l = name_family_r", "family name"),
        _level("name_tail_l = name_tail_r", "given name"),
        cll.ElseLevel(),
    ]
    m = [0.70, 0.01, 0.12, 0.10, 0.04, 0.027, 0.003]
    u = [0.0005, 0.00005, 0.001, 0.005, 0.15, 0.02, 0.82345]
    return _comparison("name", levels, m, u)


def _dob() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        _null("dob"),
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
    levels: list[ComparisonLevelCreator] = [
        _null("phone"),
        _level("phone_l = phone_r", "exact"),
        _level("damerau_levenshtein(phone_l, phone_r) <= 1", "one typo"),
        cll.ElseLevel(),
    ]
    return _comparison("phone", levels, [0.75, 0.05, 0.20], [0.00001, 0.0001, 0.99989])


def _email() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        _null("email_local"),
        _level("email_local_l = email_local_r", "same local part"),
        cll.ElseLevel(),
    ]
    return _comparison("email", levels, [0.3, 0.7], [0.0001, 0.9999])


def _address() -> ComparisonCreator:
    jw = "jaro_winkler_similarity"
    levels: list[ComparisonLevelCreator] = [
        _null("address"),
        _level("address_l = address_r", "exact"),
        _level(f"{jw}(address_l, address_r) >= 0.9", "jw>=0.9"),
        _level(f"{jw}(address_l, address_r) >= 0.75", "jw>=0.75"),
        cll.ElseLevel(),
    ]
    return _comparison("address", levels, [0.65, 0.15, 0.08, 0.12], [0.0005, 0.002, 0.05, 0.9475])


def _city() -> ComparisonCreator:
    levels: list[ComparisonLevelCreator] = [
        _null("city"),
        _level("city_l = city_r", "exact"),
        _level("jaro_winkler_similarity(city_l, city_r) >= 0.88", "jw>=0.88"),
        cll.ElseLevel(),
    ]
    return _comparison("city", levels, [0.85, 0.05, 0.10], [0.15, 0.01, 0.84])


def comparisons() -> list[ComparisonCreator]:
    return [_name(), _dob(), _phone(), _email(), _address(), _city()]


def blocking_rules() -> list[Any]:
    """Candidate pairs: same birth date, same phone, same family + given name (the tên), same
    given name + birth year (family typos), same address."""
    return [
        block_on("dob"),
        block_on("phone"),
        block_on("name_family", "name_tail"),
        block_on("name_tail", "birth_year"),
        block_on("address"),
    ]


def prior_match_probability(n_records: int) -> float:
    """Prior that two random records are one person: ``PRIOR_DUPLICATE_RATE`` of the records
    have one duplicate among the n(n-1)/2 pairs."""
    if n_records < 2:
        return 0.01
    return min(0.01, max(1e-9, 2 * PRIOR_DUPLICATE_RATE / (n_records - 1)))


def settings(n_records: int) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=list(comparisons()),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior_match_probability(n_records),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
    )


def _train(linker: Linker, seed: int) -> None:
    training = linker.training
    training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    # Two passes so every comparison is estimated in one of them (a pass cannot estimate the
    # columns its blocking rule fixes).
    for rule in (block_on("dob"), block_on("name_family", "name_tail")):
        training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=EM_MAX_PAIRS)


@dataclass
class ScoreResult:
    pairs: pa.Table  # id_l < id_r, probability, match_weight, gamma_<comparison>...
    records: int
    trained: bool


def score_pairs(
    records: pa.Table,
    *,
    focus_ids: list[str] | None = None,
    threshold: float,
    seed: int = SEED,
    train: bool | None = None,
) -> ScoreResult:
    """Score candidate pairs among ``records`` (see :func:`matching_sql.records_sql` for the
    columns). With ``focus_ids``, only pairs with at least one side among them."""
    n = records.num_rows
    empty = ScoreResult(pa.table({"id_l": pa.array([], pa.string())}), n, False)
    if n < 2 or (focus_ids is not None and not focus_ids):
        return empty
    do_train = n >= MIN_TRAINING_RECORDS if train is None else train
    con = duckdb.connect(":memory:")
    try:
        db_api = DuckDBAPI(con)
        everyone = db_api.register(records, table_name="match_records")
        linker = Linker(everyone, settings(n), log_level=None)
        if do_train:
            _train(linker, seed)
        if focus_ids is None:
            predicted = linker.inference.predict(
                threshold_match_probability=threshold, warning_mode="never"
            )
        else:
            con.register("match_focus_ids", pa.table({"unique_id": focus_ids}))
            focus = db_api.register(
                con.sql("SELECT r.* FROM match_records r JOIN match_focus_ids USING (unique_id)"),
                table_name="match_focus",
            )
            predicted = linker.inference.predict_between(
                focus, everyone, threshold_match_probability=threshold, warning_mode="never"
            )
        gammas = [f"gamma_{c.create_output_column_name()}" for c in comparisons()]
        gamma_sql = ", ".join(f"arg_max({g}, match_probability) AS {g}" for g in gammas)
        pairs = con.sql(
            "SELECT least(unique_id_l, unique_id_r) AS id_l, "
            "greatest(unique_id_l, unique_id_r) AS id_r, "
            "max(match_probability) AS probability, max(match_weight) AS match_weight, "
            f"{gamma_sql} FROM {predicted.physical_name} "
            "WHERE unique_id_l <> unique_id_r GROUP BY 1, 2"
        ).to_arrow_table()
    finally:
        con.close()
    return ScoreResult(pairs, n, do_train)


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
