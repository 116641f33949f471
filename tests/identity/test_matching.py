"""Probabilistic matching (Splink) on a small labelled Vietnamese CRM fixture."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import duckdb
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.identity import match_fixture as fx
from unicx.errors import ConflictError, NotFoundError
from unicx.identity.matching import match_profiles
from unicx.identity.matching_sql import fold
from unicx.identity.normalize import fold_name
from unicx.identity.reviews import decide_review, list_reviews
from unicx.identity.service import IdentityService
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    fx.load(s)
    yield s
    s.close()


def _owner(store: Store, key: str) -> str:
    return fx.profile_of(store, *fx.identifier(key))


def _merged_pairs(store: Store) -> set[frozenset[str]]:
    keys = [row[0] for row in fx.ROWS]
    owners = {k: _owner(store, k) for k in keys}
    return {frozenset((a, b)) for a in keys for b in keys if a < b and owners[a] == owners[b]}


def test_duplicates_merge_and_namesakes_do_not(store: Store, workspace: Workspace) -> None:
    report = match_profiles(store, workspace.settings, actor="test")
    # Precision and recall 1.0 on the fixture: exactly the true pairs end up in one profile.
    assert _merged_pairs(store) == fx.true_pairs()
    assert report.auto_merged == len(fx.true_pairs())
    assert report.records == len(fx.ROWS)
    assert not report.trained  # a small workspace scores with the priors
    # Namesakes with another birth date and phone stay apart from the duplicates.
    assert _owner(store, "n1") != _owner(store, "d1-a")
    assert _owner(store, "n2") != _owner(store, "d1-a")
    assert _owner(store, "n3") != _owner(store, "d2-a")
    assert _owner(store, "n4") != _owner(store, "d4-a")
    # Each merge is recorded with its evidence.
    merges = IdentityService(store, workspace.settings).list_merges(limit=100)
    assert {m.reason for m in merges} == {"match"}
    swapped = next(p for p in report.pairs if p.profile_a.startswith("p-d2"))
    assert swapped.evidence["levels"]["dob"] == "day and month swapped"


def test_review_band_and_idempotence(store: Store, workspace: Workspace) -> None:
    first = match_profiles(store, workspace.settings)
    open_ = list_reviews(store)
    assert [{r.profile_a, r.profile_b} for r in open_] == [{"p-r1-a", "p-r1-b"}]
    review = open_[0]
    assert workspace.settings.match_review_threshold <= review.probability
    assert review.probability < workspace.settings.match_auto_threshold
    assert _owner(store, "r1-a") != _owner(store, "r1-b")
    assert first.new_reviews == 1
    second = match_profiles(store, workspace.settings)
    assert (second.auto_merged, second.new_reviews, second.sent_to_review) == (0, 0, 1)
    assert len(list_reviews(store, status=None)) == 1


def test_accept_merges_and_reject_is_remembered(store: Store, workspace: Workspace) -> None:
    match_profiles(store, workspace.settings)
    review = list_reviews(store)[0]
    with pytest.raises(NotFoundError):
        decide_review(store, workspace.settings, "no-such-pair", accept=True, actor="t")
    rejected = decide_review(store, workspace.settings, review.pair_id, accept=False, actor="t")
    assert (rejected.status, rejected.decided_by) == ("rejected", "t")
    with pytest.raises(ConflictError):
        decide_review(store, workspace.settings, review.pair_id, accept=True, actor="t")
    again = match_profiles(store, workspace.settings)
    assert again.sent_to_review == 0
    assert list_reviews(store) == []
    assert _owner(store, "r1-a") != _owner(store, "r1-b")


def test_accept_merges_the_pair(store: Store, workspace: Workspace) -> None:
    match_profiles(store, workspace.settings)
    review = list_reviews(store)[0]
    accepted = decide_review(store, workspace.settings, review.pair_id, accept=True, actor="t")
    assert accepted.status == "accepted"
    assert _owner(store, "r1-a") == _owner(store, "r1-b") == "p-r1-a"  # the older one wins


def test_focus_on_new_profiles_only(store: Store, workspace: Workspace) -> None:
    report = match_profiles(store, workspace.settings, profile_ids=["p-d1-b", "p-unknown"])
    assert report.auto_merged == 1
    assert _merged_pairs(store) == {frozenset(("d1-a", "d1-b"))}
    assert match_profiles(store, workspace.settings, profile_ids=[]).candidates == 0


def test_unmerged_pair_is_not_merged_again(store: Store, workspace: Workspace) -> None:
    report = match_profiles(store, workspace.settings, profile_ids=["p-d1-b"])
    merge_id = report.pairs[0].merge_id
    assert merge_id is not None
    IdentityService(store, workspace.settings).unmerge(merge_id, actor="t")
    again = match_profiles(store, workspace.settings, profile_ids=["p-d1-b"])
    assert again.auto_merged == 0 and again.candidates == 0
    assert _owner(store, "d1-a") != _owner(store, "d1-b")


def test_merge_protection_outranks_probability(store: Store, workspace: Workspace) -> None:
    # Both records of d1 carry a user id: at most one user id per profile, so no merge.
    with store.session() as s:
        for pid, uid in (("p-d1-a", "u-1"), ("p-d1-b", "u-2")):
            s.execute(
                "INSERT INTO identities VALUES ('user_id', ?, ?, now(), now())",
                [uid, pid],
                step="t.uid",
            )
    report = match_profiles(store, workspace.settings, profile_ids=["p-d1-b"])
    assert report.refused == 1 and report.auto_merged == 0
    assert [r.status for r in list_reviews(store, status="refused")] == ["refused"]
    assert match_profiles(store, workspace.settings, profile_ids=["p-d1-b"]).candidates == 0


def test_sql_folding_matches_fold_name() -> None:
    names = ["Nguyễn Văn  An", "ĐẶNG THU THẢO", "Trần Thị Ngọc Ánh", "Võ Thị Hường", "Lê Ỷ"]
    names.append(unicodedata.normalize("NFD", "Phạm Hữu Đức"))
    for name in names:
        row = duckdb.execute(f"SELECT {fold('?')}", [name]).fetchone()
        assert row is not None and row[0] == fold_name(name)


def test_api_match_and_reviews(client: TestClient, workspace: Workspace) -> None:
    store = client.app.state.ctx.store  # type: ignore[attr-defined]
    fx.load(store)
    auth = bearer(workspace.secret_key)
    res = client.post("/v1/identity/match", json={"profile_ids": None}, headers=auth)
    assert res.status_code == 200, res.text
    assert res.json()["auto_merged"] == len(fx.true_pairs())
    reviews = client.get("/v1/identity/reviews", headers=auth).json()
    assert len(reviews) == 1
    pair = reviews[0]["pair_id"]
    bad = client.post(f"/v1/identity/reviews/{pair}", json={"decision": "maybe"}, headers=auth)
    assert bad.status_code == 400
    missing = client.post("/v1/identity/reviews/nope", json={"decision": "accept"}, headers=auth)
    assert missing.status_code == 404
    too_long = client.post("/v1/identity/match", json={"profile_ids": ["x" * 65]}, headers=auth)
    assert too_long.status_code == 400
    assert client.post("/v1/identity/match", json={}).status_code == 401
    ok = client.post(f"/v1/identity/reviews/{pair}", json={"decision": "reject"}, headers=auth)
    assert ok.status_code == 200 and ok.json()["status"] == "rejected"


def test_cli_match_and_reviews(workspace: Workspace) -> None:
    from unicx.cli.identity_match import register

    store = open_store(workspace.settings)
    fx.load(store)
    store.close()
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    ws = ["--workspace", str(workspace.path)]
    res = runner.invoke(app, ["match", *ws, "--json"])
    assert res.exit_code == 0, res.output
    assert '"auto_merged":6' in res.output
    listed = runner.invoke(app, ["reviews", "list", *ws, "--json"])
    assert listed.exit_code == 0 and "p-r1-a" in listed.output
    missing = runner.invoke(app, ["reviews", "accept", "nope", *ws])
    assert missing.exit_code == 1 and "no match review" in missing.output
