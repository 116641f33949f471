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
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from unicx.identity.matching_levels import (
    TF_COLUMNS,
    comparisons,
    strong_signal_sql,
    term_frequency_sql,
)

MIN_TRAINING_RECORDS: Final = 2_000
U_SAMPLE_PAIRS: Final = 2e6
EM_MAX_PAIRS: Final = 1e6
SEED: Final = 42
# Share of records assumed to have a duplicate, for the prior match probability of a pair.
PRIOR_DUPLICATE_RATE: Final = 0.05


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
    columns). With ``focus_ids``, only pairs with at least one side among them. ``strong``
    says whether a pair carries a signal that may merge it without a person
    (:data:`matching_levels.STRONG_SIGNALS`)."""
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
        _register_term_frequencies(linker, db_api, n)
        predicted = _predict(linker, db_api, everyone, focus_ids=focus_ids, threshold=threshold)
        pairs = _best_per_pair(con, predicted.physical_name)
    finally:
        con.close()
    return ScoreResult(pairs, n, do_train)


def _level_u(linker: Linker) -> dict[str, float]:
    """u of each term-frequency-adjusted level as the model holds it now (trained or prior)."""
    model = linker.misc.save_model_to_json()
    return {
        str(level["tf_adjustment_column"]): float(level["u_probability"])
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column") and level.get("u_probability") is not None
    }


def _register_term_frequencies(linker: Linker, db_api: DuckDBAPI, n: int) -> None:
    """Our smoothed name frequencies instead of Splink's raw shares (see term_frequency_sql),
    shrunk towards the level's current u: a frequency equal to it leaves the weight as is."""
    trained = _level_u(linker)
    for column, default, _ in TF_COLUMNS:
        prior = trained.get(column, default)
        table = db_api.register(
            db_api.duckdb_con.sql(term_frequency_sql(column, prior, n)), table_name=f"tf_{column}"
        )
        linker.table_management.register_term_frequency_lookup(table, column)


def _predict(
    linker: Linker,
    db_api: DuckDBAPI,
    everyone: Any,
    *,
    focus_ids: list[str] | None,
    threshold: float,
) -> Any:
    if focus_ids is None:
        return linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    con = db_api.duckdb_con
    con.register("match_focus_ids", pa.table({"unique_id": focus_ids}))
    focus = db_api.register(
        con.sql("SELECT r.* FROM match_records r JOIN match_focus_ids USING (unique_id)"),
        table_name="match_focus",
    )
    return linker.inference.predict_between(
        focus, everyone, threshold_match_probability=threshold, warning_mode="never"
    )


def _best_per_pair(con: duckdb.DuckDBPyConnection, predicted: str) -> pa.Table:
    """One row per unordered pair (predict_between may see a pair from both sides)."""
    table: pa.Table = con.sql(best_per_pair_sql(predicted)).to_arrow_table()
    return table


def best_per_pair_sql(predicted: str) -> str:
    """Of the ``predicted`` pairs, the likeliest per unordered pair, with its gamma columns."""
    gammas = [f"gamma_{c.create_output_column_name()}" for c in comparisons()]
    gamma_sql = ", ".join(f"arg_max({g}, match_probability) AS {g}" for g in gammas)
    return (
        f"SELECT *, ({strong_signal_sql()}) AS strong FROM ("
        "SELECT least(unique_id_l, unique_id_r) AS id_l, "
        "greatest(unique_id_l, unique_id_r) AS id_r, "
        "max(match_probability) AS probability, max(match_weight) AS match_weight, "
        f"{gamma_sql} FROM {predicted} "
        "WHERE unique_id_l <> unique_id_r GROUP BY 1, 2)"
    )
