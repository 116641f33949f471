"""Offers over HTTP: CRUD, decisions, sensitivity marks, and bad input (4xx, nothing saved)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.personalize.conftest import extra_events
from tests.profiles.traits_data import load
from tests.segments.fixture import IDS, NOW, events
from unicx.api import create_app
from unicx.cli.main import app as cli_app
from unicx.privacy.consent import refresh_consents
from unicx.profiles.traits import refresh_traits
from unicx.workspace import open_store

OFFER = {"name": "Banner", "placement": "homepage_banner", "channel": "web",
         "template": "Chào {{ traits.first_name | default('bạn') }}"}  # fmt: skip


@pytest.fixture
def api(workspace: Workspace) -> Iterator[TestClient]:
    store = open_store(workspace.settings)
    load(store, events() + extra_events(), IDS)
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
        refresh_consents(s, workspace.settings, None)
    store.close()
    with TestClient(create_app(workspace.settings)) as c:
        c.headers.update(bearer(workspace.secret_key))
        yield c


def _offers(api: TestClient) -> list[dict[str, Any]]:
    res = api.get("/v1/offers")
    assert res.status_code == 200
    return list(res.json())


def test_create_decide_update_delete(api: TestClient) -> None:
    res = api.post("/v1/offers", json=OFFER)
    assert res.status_code == 201, res.text
    offer = res.json()
    assert offer["version"] == 1
    assert api.post("/v1/offers", json=OFFER).status_code == 409
    res = api.put("/v1/placements/homepage_banner", json={"epsilon": 0.1, "holdout_percent": 0})
    assert res.status_code == 200 and res.json()["offers"] == 1
    res = api.get("/v1/profiles/pc/decide", params={"placement": "homepage_banner",
                                                    "device": "mobile"})  # fmt: skip
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["offer"]["content"] == "Chào Chi" and body["propensity"] == 1.0
    assert body["decision_id"] and body["context"]["device"] == "mobile"
    res = api.patch(
        f"/v1/offers/{offer['offer_id']}", json={"template": "Hi {{ traits.first_name }}"}
    )
    assert res.status_code == 200 and res.json()["version"] == 2
    assert api.delete("/v1/offers/Banner").status_code == 200
    assert _offers(api) == []


def test_unknown_profile_and_placement_are_404(api: TestClient) -> None:
    api.post("/v1/offers", json=OFFER)
    res = api.get("/v1/profiles/pa/decide", params={"placement": "nowhere"})
    assert res.status_code == 404 and "placement" in res.text
    res = api.get("/v1/profiles/ghost/decide", params={"placement": "homepage_banner"})
    assert res.status_code == 404 and "profile" in res.text
    assert api.get("/v1/profiles/pa/decide").status_code in (400, 422)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        json.dumps({**OFFER, "template": "{{ ''.__class__.__mro__ }}"}).encode(),
        json.dumps({**OFFER, "template": "{% if %}"}).encode(),
        json.dumps({**OFFER, "channel": "fax"}).encode(),
        json.dumps({**OFFER, "weight": -1}).encode(),
        json.dumps({**OFFER, "eligibility": {"trait": "religion", "op": "exists"}}).encode(),
        json.dumps({**OFFER, "eligibility": {"any": [{"has": "email"}] * 10_000}}).encode(),
        json.dumps({**OFFER, "eligibility": {"nope": 1}}).encode(),
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_bad_offers_are_400_and_save_nothing(api: TestClient, body: bytes) -> None:
    res = api.post("/v1/offers", content=body, headers={"Content-Type": "application/json"})
    assert res.status_code == 400, res.text
    assert res.json().get("message")
    assert _offers(api) == []


def test_ten_thousand_node_tree_names_the_rule(api: TestClient) -> None:
    tree = {"any": [{"not": {"has": "email"}} for _ in range(5_000)]}  # 10,000 nodes
    res = api.post("/v1/offers", json={**OFFER, "eligibility": tree})
    assert res.status_code == 400 and "at most 500 conditions" in res.text
    assert _offers(api) == []


def test_oversized_body_is_413(api: TestClient) -> None:
    res = api.post("/v1/offers", json={**OFFER, "description": "x" * 300_000})
    assert res.status_code == 413
    assert _offers(api) == []


def test_sensitivity_marks_need_an_admin_and_then_refuse(api: TestClient) -> None:
    res = api.put("/v1/traits/plan/sensitivity", json={"category": "other", "reason": "x"})
    assert res.status_code == 200, res.text
    listed = {t["name"]: t for t in api.get("/v1/personalize/sensitive-traits").json()}
    assert listed["plan"]["source"] == "admin" and listed["religion"]["source"] == "pattern"
    res = api.post("/v1/offers", json={**OFFER, "template": "{{ traits.plan }}"})
    assert res.status_code == 400 and "plan" in res.text
    res = api.put("/v1/traits/plan/sensitivity", json={"category": "bogus"})
    assert res.status_code == 400
    assert api.delete("/v1/personalize/sensitive-traits/plan").status_code == 204
    assert api.delete("/v1/personalize/sensitive-traits/plan").status_code == 404


def test_cli_apply_list_and_decide(workspace: Workspace, tmp_path: Any) -> None:
    store = open_store(workspace.settings)
    load(store, events() + extra_events(), IDS)
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
        refresh_consents(s, workspace.settings, None)
    store.close()
    file = tmp_path / "offers.yaml"
    file.write_text(
        "- name: Welcome\n  placement: home\n  template: Xin chào\n  is_default: true\n"
        '- name: Hi\n  placement: home\n  template: "Chào {{ traits.first_name }}"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    ws = ["--workspace", str(workspace.path)]
    res = runner.invoke(cli_app, ["offers", "apply", str(file), *ws])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli_app, ["offers", "list", "--json", *ws])
    assert sorted(o["name"] for o in json.loads(res.output)) == ["Hi", "Welcome"]
    res = runner.invoke(cli_app, ["offers", "decide", "pb", "--placement", "home", *ws])
    assert res.exit_code == 0 and json.loads(res.output)["reason"] == "no_consent"
    bad = tmp_path / "bad.yaml"
    bad.write_text('name: X\nplacement: home\ntemplate: "{{ self.__dict__ }}"\n', "utf-8")
    res = runner.invoke(cli_app, ["offers", "validate", str(bad), *ws])
    assert res.exit_code == 1
