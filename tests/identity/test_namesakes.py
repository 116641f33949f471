"""Vietnamese namesakes must not merge (issue 15 §4): a CRM file of 300 different people who
share the six commonest full names, imported with `unicx import profiles` as a user would
(the import runs matching on the imported profiles), must give 300 profiles; true duplicates
written differently merge when they carry a strong signal and go to review otherwise."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.identity import namesakes_data as data
from unicx.cli.main import app
from unicx.identity.matching_levels import TF_PSEUDO_RECORDS, term_frequency_sql
from unicx.identity.reviews import list_reviews
from unicx.workspace import open_store

runner = CliRunner()

# Each row's profile now: the import gives every row an anonymous id, which follows merges.
_PROFILE_OF_ROW_SQL = """
SELECT json_extract_string(e.traits, '$.ma_kh') AS row_key, i.profile_id
FROM events e JOIN identities i ON i.id_type = 'anonymous_id' AND i.id_value = e.anonymous_id
WHERE e.type = 'identify'
"""


def _import(workspace: Workspace, path: Path) -> None:
    res = runner.invoke(
        app,
        ["import", "profiles", str(path), "--map", f"{data.MAPPING},trait.ma_kh=Mã KH",
         "--workspace", str(workspace.path), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert '"accepted":305' in res.output.replace(" ", "")


@pytest.mark.slow
def test_namesakes_stay_apart_and_duplicates_merge(workspace: Workspace, tmp_path: Path) -> None:
    persons = data.people()
    dups = data.duplicates(persons)
    _import(workspace, data.write(tmp_path / "crm.csv", persons, dups))
    store = open_store(workspace.settings)
    try:
        with store.session() as s:
            owner = dict(s.fetchall(_PROFILE_OF_ROW_SQL, step="t.rows"))
            row = s.fetchone("SELECT count(*) FROM profiles", step="t.count")
        reviews = list_reviews(store, limit=1000)
    finally:
        store.close()
    assert len(owner) == data.PEOPLE + len(dups)
    # 300 different people stay 300 profiles: no two of them share one.
    assert len({owner[p.key] for p in persons}) == data.PEOPLE
    # The duplicates with a strong signal merged into their person, and nobody else's.
    for key in ("dup-phone", "dup-email", "dup-dob-address", "dup-phone-typo"):
        assert owner[key] == owner[dups[key][0]], key
    # The weak one (name and birth date only) waits for a person, apart.
    weak, weak_person = owner["dup-weak"], owner[dups["dup-weak"][0]]
    assert weak != weak_person
    assert {weak, weak_person} in [{r.profile_a, r.profile_b} for r in reviews]
    assert row is not None and row[0] == data.PEOPLE + 1
    # Namesakes reach the review list only when even their birth dates agree (a person sees
    # the different phone, e-mail and house number); none of them is merged.
    others = [r for r in reviews if {r.profile_a, r.profile_b} != {weak, weak_person}]
    assert all(r.evidence["levels"]["dob"] == "exact" for r in others), others


def test_name_frequencies_shrink_towards_the_level_u() -> None:
    con = duckdb.connect()
    names = ["nguyen van hung"] * 3 + ["le thi huong"]
    con.execute("CREATE TABLE match_records AS SELECT unnest(?) AS name_full", [names])
    # A trained u has 17 digits: written as a DuckDB literal it is a DECIMAL whose product
    # with the pseudo-count overflowed; it must stay a double in the SQL.
    u = 0.06884970174632501
    tf = dict(con.sql(term_frequency_sql("name_full", u, 4)).fetchall())
    k = TF_PSEUDO_RECORDS
    # The two records compared do not make their own name common: beyond them, one more
    # "Nguyễn Văn Hùng" among the others; no other "Lê Thị Hương".
    assert tf["le thi huong"] == pytest.approx(k * u / (2 + k))
    assert tf["nguyen van hung"] == pytest.approx((1 + k * u) / (2 + k))
