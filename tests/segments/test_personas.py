"""Personas: k-means over buyers finds three obvious groups and saves them as segments.

Sixty buyers as of NOW (2024-06-30 12:00, Ho Chi Minh City), twenty per group:

- whisky (w*): 3 recent orders of whisky, 5-8 million VND each;
- snack (s*): 10 snack orders over the last month, about 100,000 VND each;
- beer (b*): one order of beer 150-250 days ago, about 240,000 VND;

and one visitor (v1) who never ordered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.profiles.traits_data import event, load
from tests.segments.fixture import NOW, ago, members
from unicx.api.app import create_app
from unicx.cli.main import app
from unicx.errors import ConflictError, ValidationError
from unicx.privacy.consent import refresh_consents
from unicx.profiles.traits import refresh_traits
from unicx.segments.models import PersonaRun, SegmentCreate, SegmentUpdate
from unicx.segments.personas import build_personas
from unicx.segments.service import SegmentService
from unicx.store import Store
from unicx.workspace import open_store

GROUPS = {g: {f"{g}{i:02d}" for i in range(20)} for g in ("w", "s", "b")}


def _order(who: str, at: str, category: str, quantity: int, price: int) -> dict[str, Any]:
    products = [{"product_id": f"sku-{category}", "category": category,
                 "quantity": quantity, "price": price}]  # fmt: skip
    props = {"order_id": f"o-{who}-{at}", "currency": "VND", "products": products}
    return event("track", at, user_id=who, event="Order Completed", properties=props)


def _events() -> list[dict[str, Any]]:
    out = [event("page", ago(days=2), user_id="v1")]
    for i in range(20):
        w, s, b = f"w{i:02d}", f"s{i:02d}", f"b{i:02d}"
        for n in range(3):
            out.append(_order(w, ago(days=3 + i % 5 + 9 * n), "whisky", 1, 5_000_000 + i * 150_000))
        for n in range(10):
            out.append(_order(s, ago(days=1 + 3 * n + i % 3), "snack", 3, 30_000 + i * 500))
        out.append(_order(b, ago(days=150 + 5 * i), "beer", 6, 40_000))
    return out


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    s = open_store(workspace.settings)
    people = ["v1", *(p for g in GROUPS.values() for p in sorted(g))]
    load(s, _events(), {p: [("user_id", p)] for p in people})
    with s.session() as session, session.transaction():
        refresh_traits(session, workspace.settings, None, now=NOW)
        refresh_consents(session, workspace.settings, None)
    yield s
    s.close()


def _run(store: Store, workspace: Workspace, k: int = 3) -> PersonaRun:
    return build_personas(store, workspace.settings, k=k, now=NOW, actor="test")


def _persona_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.session() as s:
        return s.fetchall(
            "SELECT profile_id, CAST(value AS VARCHAR), model, model_version FROM model_traits "
            "WHERE name = 'persona' ORDER BY profile_id",
            step="t",
        )


def test_three_groups_become_three_described_segments(store: Store, workspace: Workspace) -> None:
    run = _run(store, workspace)

    assert run.k == 3 and run.profiles == 60 and run.algorithm == "kmeans"
    assert run.features == ["days_since_last_order", "orders_count", "revenue",
                            "share:snack", "share:beer", "share:whisky"]  # fmt: skip
    by_group = {}
    for p in run.personas:
        got = members(store, p.segment_id)
        group = next(g for g, people in GROUPS.items() if got == people)
        by_group[group] = p
        assert p.size == 20 and p.name.startswith(f"Persona {p.persona[-1]}: ")
    assert set(by_group) == set(GROUPS)
    assert "buys mostly whisky (100% vs 33% of units)" in by_group["w"].description
    assert "high spend (avg 19,275,000 VND vs 6,852,500)" in by_group["w"].description
    assert "snack" in by_group["s"].description and "frequent" in by_group["s"].description
    assert "beer" in by_group["b"].description
    assert "lapsed" in by_group["b"].description or "one-time" in by_group["b"].description
    top = by_group["w"].top_features[0]
    assert top.cluster_mean > top.overall_mean and top.difference_sd > 0
    segments = SegmentService(store, workspace.settings)
    saved = segments.get(by_group["w"].segment_id)
    assert saved.kind == "persona" and saved.description == by_group["w"].description
    assert saved.definition == {"trait": "persona", "op": "eq", "value": by_group["w"].persona}
    changes = segments.changes(saved.segment_id)
    assert {c.profile_id for c in changes} == GROUPS["w"]
    assert {c.event for c in changes} == {"Segment Entered"}


def test_each_buyer_gets_a_persona_trait(store: Store, workspace: Workspace) -> None:
    run = _run(store, workspace)

    rows = _persona_rows(store)
    assert len(rows) == 60 and "v1" not in {r[0] for r in rows}
    assert {(r[2], r[3]) for r in rows} == {("personas", run.model_version)}
    persona_of = {r[0]: json.loads(r[1]) for r in rows}
    for p in run.personas:
        assert {pid for pid, v in persona_of.items() if v == p.persona} == members(
            store, p.segment_id
        )


def test_rerun_replaces_segments_and_traits(store: Store, workspace: Workspace) -> None:
    first = _run(store, workspace)
    second = _run(store, workspace, k=2)

    segments = SegmentService(store, workspace.settings).all()
    personas = [s for s in segments if s.kind == "persona"]
    assert sorted(s.segment_id for s in personas) == sorted(p.segment_id for p in second.personas)
    assert not {p.segment_id for p in first.personas} & {s.segment_id for s in segments}
    rows = _persona_rows(store)
    assert len(rows) == 60 and {r[3] for r in rows} == {second.model_version}
    assert {json.loads(r[1]) for r in rows} == {"persona_1", "persona_2"}


def test_same_seed_same_personas_and_names_stay_unique(store: Store, workspace: Workspace) -> None:
    service = SegmentService(store, workspace.settings)
    first = _run(store, workspace)
    taken = first.personas[0].name
    service.update(first.personas[0].segment_id, SegmentUpdate(name="renamed persona"))
    service.create(SegmentCreate(name=taken, definition={"trait": "orders_count", "op": "gt",
                                                         "value": 0}))  # fmt: skip

    second = _run(store, workspace)

    assert [p.description for p in second.personas] == [p.description for p in first.personas]
    assert second.personas[0].name == f"{taken} (2)"
    assert [p.name for p in second.personas[1:]] == [p.name for p in first.personas[1:]]


def test_persona_used_by_another_segment_blocks_rerun(store: Store, workspace: Workspace) -> None:
    service = SegmentService(store, workspace.settings)
    first = _run(store, workspace)
    ref = {"segment": first.personas[0].segment_id}
    service.create(SegmentCreate(name="uses a persona", definition=ref))

    with pytest.raises(ConflictError, match="uses a persona"):
        _run(store, workspace)
    assert {r[3] for r in _persona_rows(store)} == {first.model_version}
    assert len([s for s in service.all() if s.kind == "persona"]) == 3


@pytest.mark.parametrize(("k", "rule"), [(1, "range"), (21, "range"), (13, "too_few_profiles")])
def test_bad_k_is_refused(store: Store, workspace: Workspace, k: int, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _run(store, workspace, k=k)
    assert [(i.field, i.rule) for i in caught.value.issues] == [("k", rule)]
    assert _persona_rows(store) == []


def test_no_buyers_is_refused(workspace: Workspace) -> None:
    s = open_store(workspace.settings)
    try:
        load(s, [event("page", ago(days=1), user_id="v1")], {"v1": [("user_id", "v1")]})
        with pytest.raises(ValidationError, match="no profile has a completed order"):
            _run(s, workspace)
    finally:
        s.close()


def test_fewer_distinct_buyers_than_k_is_refused(workspace: Workspace) -> None:
    s = open_store(workspace.settings)
    try:
        people = [f"same{i}" for i in range(10)]
        props = {"revenue": 100_000, "currency": "VND"}  # no products: no category mix
        orders = [event("track", ago(days=3), user_id=p, event="Order Completed",
                        properties={**props, "order_id": p}) for p in people]  # fmt: skip
        load(s, orders, {p: [("user_id", p)] for p in people})
        with pytest.raises(ValidationError) as caught:
            _run(s, workspace, k=2)
        assert caught.value.issues[0].rule == "too_many"
        assert "they form 1 group" in caught.value.message
    finally:
        s.close()


def test_cli_and_api(store: Store, workspace: Workspace) -> None:
    store.close()  # the CLI opens the workspace itself
    ran = CliRunner().invoke(
        app, ["segments", "personas", "--k", "3", "--json", "-w", str(workspace.path)]
    )
    assert ran.exit_code == 0, ran.output
    assert [p["size"] for p in json.loads(ran.stdout)["personas"]] == [20, 20, 20]
    with TestClient(create_app(workspace.settings)) as client:
        auth = bearer(workspace.secret_key)
        res = client.post("/v1/segments/personas?k=2", headers=auth)
        assert res.status_code == 200 and len(res.json()["personas"]) == 2
        assert client.post("/v1/segments/personas?k=1", headers=auth).status_code == 400
        kinds = {s["kind"] for s in client.get("/v1/segments", headers=auth).json()}
        assert kinds == {"persona"}
