"""GET /v1/overview (unicx.overview) over events sent through the real ingest API: daily series
in the workspace time zone, totals against the 30 days before, messages, journeys, models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.identity.conftest import send
from unicx import overview
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.store import Store

NOW = datetime.now(UTC)


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def _events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, (user, ago, revenue) in enumerate(
        [("u1", 0.01, 200_000), ("u2", 3, 100_000), ("u3", 40, 50_000)]
    ):
        out += [
            {"type": "identify", "userId": user, "traits": {"email": f"{user}@x.vn"},
             "timestamp": _at(ago), "messageId": f"i{n}"},
            {"type": "page", "userId": user, "timestamp": _at(ago), "messageId": f"p{n}"},
            {"type": "track", "userId": user, "event": "Order Completed", "timestamp": _at(ago),
             "properties": {"order_id": f"o{n}", "revenue": revenue, "currency": "VND"},
             "messageId": f"o{n}"},
        ]  # fmt: skip
    # An anonymous visitor today: active, not a buyer, not identified.
    out.append({"type": "page", "anonymousId": "a9", "timestamp": _at(0.01), "messageId": "p9"})
    return out


def _messages(store: Store) -> None:
    rows = [("m1", "sent", NOW), ("m2", "suppressed", None), ("m3", "sent", NOW)]
    with store.session() as s:
        for mid, status, sent_at in rows:
            s.execute(
                "INSERT INTO messages (message_id, profile_id, channel, category, spec, status, "
                "reason, created_at, due_at, sent_at, updated_at) VALUES (?, 'p', 'email', "
                "'marketing', '{}', ?, ?, ?, ?, ?, ?)",
                [mid, status, "consent" if status == "suppressed" else None, NOW, NOW, sent_at,
                 NOW],
                step="test.messages",
            )  # fmt: skip
        s.execute(
            "INSERT INTO models (model, version, status, trained_at, rows, message) VALUES "
            "('churn', 'v1', 'rejected', ?, 10, 'too few churners')",
            [NOW],
            step="test.models",
        )


@pytest.fixture
def filled(client: TestClient, workspace: Workspace) -> TestClient:
    send(client, workspace.write_key, _events())
    _messages(client.app.state.ctx.store)  # type: ignore[attr-defined]
    overview.forget()
    return client


def _get(client: TestClient, secret: str, **params: Any) -> dict[str, Any]:
    res = client.get("/v1/overview", params=params, headers=bearer(secret))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def test_totals_series_and_comparison(filled: TestClient, workspace: Workspace) -> None:
    body = _get(filled, workspace.secret_key, max_age_s=0)
    today = NOW.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    assert body["timezone"] == "Asia/Ho_Chi_Minh" and body["currency"] == "VND"
    assert body["end"] == str(today + timedelta(days=1))
    act = body["activity"]
    assert act["revenue"]["total"] == 300_000 and act["revenue"]["previous"] == 50_000
    assert act["revenue"]["change"] == pytest.approx(5.0)
    assert act["orders"]["total"] == 2 and act["orders"]["previous"] == 1
    assert act["events"]["total"] == 7 and act["events"]["previous"] == 3
    assert act["active_people"]["total"] == 3 and act["buyers"]["total"] == 2
    assert act["conversion"]["total"] == pytest.approx(2 / 3)
    series = act["revenue"]["series"]
    assert len(series) == 30 and series[-1]["day"] == str(today)
    assert sum(d["value"] for d in series) == 300_000
    assert act["profiles_total"]["total"] == 4
    assert act["identified_share"]["total"] == pytest.approx(3 / 4)
    assert act["new_profiles"]["total"] + act["new_profiles"]["previous"] == 4
    msgs = body["messages"]
    assert msgs["sent"]["total"] == 2 and msgs["suppressed"]["total"] == 1
    assert msgs["sent"]["series"][-1]["value"] in (0, 2)  # today, or yesterday in UTC terms
    assert body["journeys"] == {"active": 0, "paused": 0, "draft": 0, "people_in_progress": 0}
    models = {m["model"]: m for m in body["models"]}
    assert models["churn"]["status"] == "rejected"
    assert models["churn"]["message"] == "too few churners"
    assert models["clv"]["status"] == "never_trained"


def test_cached_answer_says_its_age(filled: TestClient, workspace: Workspace) -> None:
    first = _get(filled, workspace.secret_key)
    again = _get(filled, workspace.secret_key)
    assert again["computed_at"] == first["computed_at"] and again["max_age_s"] == 60
    assert again["age_s"] >= 0
    fresh = _get(filled, workspace.secret_key, max_age_s=0)
    assert fresh["age_s"] == 0


def test_empty_workspace(client: TestClient, workspace: Workspace) -> None:
    overview.forget()
    act = _get(client, workspace.secret_key)["activity"]
    assert act["events"]["total"] == 0 and act["conversion"]["total"] is None
    assert act["identified_share"]["total"] is None and act["revenue"]["change"] is None


@pytest.mark.parametrize("params", [{"max_age_s": -1}, {"max_age_s": 1e9}, {"max_age_s": "x"}])
def test_bad_parameters(client: TestClient, workspace: Workspace, params: Any) -> None:
    res = client.get("/v1/overview", params=params, headers=bearer(workspace.secret_key))
    assert res.status_code in (400, 422)


def test_roles(client: TestClient, workspace: Workspace) -> None:
    assert client.get("/v1/overview").status_code == 401
    access: AccessService = client.app.state.ctx.access  # type: ignore[attr-defined]
    for role, status in ((Role.viewer, 403), (Role.analyst, 200)):
        key = access.create_api_key(role.value, role)
        res = client.get("/v1/overview", headers=bearer(key.secret_key))
        assert res.status_code == status, role
