"""The journeys pages: the list and its empty state, the canvas with live numbers in both
languages, status actions through the page, who may act, CSRF, and the dry-run form."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import basic, bearer
from tests.web.conftest import Dashboard, csrf_of
from unicx.auth.models import Role
from unicx.web.journeys.example import CART_ABANDONMENT

ACTIONS = ("publish", "pause", "resume", "archive")


def _create(dashboard: Dashboard, workspace: Workspace, *, publish: bool = True) -> str:
    """The cart example saved (and published) through the API with the secret key."""
    admin = bearer(workspace.secret_key)
    res = dashboard.client.post(
        "/v1/journeys", headers=admin, json={"definition": copy.deepcopy(CART_ABANDONMENT)}
    )
    assert res.status_code == 201, res.text
    jid = str(res.json()["journey_id"])
    if publish:
        assert dashboard.client.post(f"/v1/journeys/{jid}/publish", headers=admin).is_success
    return jid


def _stats(client: TestClient, workspace: Workspace, jid: str) -> dict[str, Any]:
    res = client.get(f"/v1/journeys/{jid}/stats", headers=bearer(workspace.secret_key))
    stats: dict[str, Any] = res.json()
    return stats


def _shoppers(dashboard: Dashboard, workspace: Workspace, jid: str, people: int = 12) -> None:
    """People add to cart; wait until the worker has let them into the journey."""
    for i in range(people):
        body = {"userId": f"u{i}", "event": "Product Added", "properties": {"sku": "tea-1"}}
        res = dashboard.client.post("/v1/track", headers=basic(workspace.write_key), json=body)
        assert res.status_code == 200, res.text
    deadline = time.monotonic() + 30
    while _stats(dashboard.client, workspace, jid)["entered"] < people:
        assert time.monotonic() < deadline, "the journey worker did not let people in"
        time.sleep(0.1)


def _status(dashboard: Dashboard, workspace: Workspace, jid: str) -> str:
    res = dashboard.client.get(f"/v1/journeys/{jid}", headers=bearer(workspace.secret_key))
    return str(res.json()["status"])


def test_empty_list_teaches_the_cart_example_and_creates_it(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    page = client.get("/journeys")
    assert (
        page.status_code == 200 and "giỏ hàng" in page.text and "unicx journeys create" in page.text
    )
    assert "Product Added" in page.text and 'action="/journeys/example"' in page.text
    english = client.get("/journeys?lang=en")
    assert '<html lang="en">' in english.text and "No journeys yet" in english.text
    res = client.post("/journeys/example", data={"csrf_token": csrf_of(english.text)})
    assert res.status_code == 303 and res.headers["location"].startswith("/journeys/jrn_")
    created = client.get(res.headers["location"])
    assert created.status_code == 200 and "Saved as a draft" in created.text
    assert "Cart abandonment" in client.get("/journeys").text


def test_list_and_canvas_show_live_numbers_in_both_languages(
    dashboard: Dashboard, workspace: Workspace
) -> None:
    jid = _create(dashboard, workspace)
    _shoppers(dashboard, workspace, jid)
    client = dashboard.sign_in(Role.analyst)
    vi = client.get("/journeys")
    assert vi.status_code == 200 and '<html lang="vi">' in vi.text
    assert f'href="/journeys/{jid}"' in vi.text and "đang chạy" in vi.text
    assert "12" in vi.text  # people in progress
    en = client.get("/journeys?lang=en&status=published")
    assert '<html lang="en">' in en.text and "running" in en.text and "Uplift vs holdout" in en.text
    assert "Cart abandonment" not in client.get("/journeys?status=paused").text
    for lang, word in (("vi", "Bản đồ hành trình"), ("en", "Journey map")):
        page = client.get(f"/journeys/{jid}?lang={lang}")
        assert (
            page.status_code == 200 and f'<html lang="{lang}">' in page.text and word in page.text
        )
        svg = page.text[page.text.index("<svg") : page.text.index("</svg>")]
        assert 'role="img"' in svg and 'aria-labelledby="canvas-title canvas-desc"' in svg
        # One shape per node (the entry and the holdout are drawn too), one path per edge.
        nodes = len(CART_ABANDONMENT["nodes"]) + 2
        assert len(re.findall(r'data-node="', svg)) == nodes
        assert len(re.findall(r'class="shape"', svg)) == nodes
        assert len(re.findall(r'<path class="edge', svg)) == 8
        assert "12" in svg  # the people entering, waiting in the first wait
        assert page.text.count("<tr>") >= nodes  # the table under the canvas
    assert ">Versions<" in client.get(f"/journeys/{jid}?lang=en").text
    # Where would one of them go (named by user id)?
    params = {"run": "1", "audience": "1", "people": "profile", "profile": "u3", "lang": "en",
              "start": "2026-12-24T09:00", "days": "3", "events": "", "condition_rate": "50",
              "seed": "7"}  # fmt: skip
    one = client.get(f"/journeys/{jid}/simulate", params=params)
    assert one.status_code == 200 and "People: 1 · days simulated: 3" in one.text


def test_status_actions_through_the_page(dashboard: Dashboard, workspace: Workspace) -> None:
    jid = _create(dashboard, workspace, publish=False)
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get(f"/journeys/{jid}").text)
    for action, status in (("publish", "published"), ("pause", "paused"), ("resume", "published")):
        res = client.post(f"/journeys/{jid}/{action}", data={"csrf_token": token})
        assert res.status_code == 303, res.text
        assert _status(dashboard, workspace, jid) == status
    resumed = client.get(f"/journeys/{jid}?done=resume&lang=en")
    assert 'action="/journeys/' + jid + '/pause"' in resumed.text and "Resumed." in resumed.text
    # Resuming a running journey is refused with the reason, not a 500.
    refused = client.post(f"/journeys/{jid}/resume", data={"csrf_token": token})
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    wrong = client.post(f"/journeys/{jid}/archive", data={"csrf_token": token, "confirm": "x"})
    assert wrong.status_code == 400 and 'id="confirm-error"' in wrong.text
    assert _status(dashboard, workspace, jid) == "published"
    data = {"csrf_token": token, "confirm": "Cart abandonment"}
    assert client.post(f"/journeys/{jid}/archive", data=data).status_code == 303
    assert _status(dashboard, workspace, jid) == "archived"
    archived = client.get(f"/journeys/{jid}").text
    assert not any(f"/{jid}/{a}" in archived for a in ACTIONS)
    assert client.post(f"/journeys/{jid}/explode", data={"csrf_token": token}).status_code == 404


def test_analyst_sees_no_actions_and_a_forged_post_is_refused(
    dashboard: Dashboard, workspace: Workspace
) -> None:
    jid = _create(dashboard, workspace, publish=False)
    client = dashboard.sign_in(Role.analyst)
    page = client.get(f"/journeys/{jid}")
    assert page.status_code == 200 and '<form method="post" action="/journeys' not in page.text
    token = csrf_of(page.text)  # the sign-out form's token: a valid one
    for action in ACTIONS:
        res = client.post(f"/journeys/{jid}/{action}", data={"csrf_token": token, "confirm": ""})
        assert res.status_code == 403
    assert client.post("/journeys/example", data={"csrf_token": token}).status_code == 403
    assert _status(dashboard, workspace, jid) == "draft"


def test_viewer_may_not_open_journeys(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.viewer)
    assert client.get("/journeys").status_code == 403
    assert 'href="/journeys"' not in client.get("/home").text


def test_post_without_csrf_token_is_refused(dashboard: Dashboard, workspace: Workspace) -> None:
    jid = _create(dashboard, workspace, publish=False)
    client = dashboard.sign_in(Role.admin)
    assert client.post(f"/journeys/{jid}/publish").status_code == 403
    assert client.post(f"/journeys/{jid}/publish", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/journeys/example", data={}).status_code == 403
    assert _status(dashboard, workspace, jid) == "draft"


@pytest.mark.parametrize(
    ("field", "value"),
    [("audience", "lots"), ("audience", "0"), ("days", "-3"), ("start", "yesterday"),
     ("events", "Order Completed"), ("events", "Order Completed = 250"), ("condition_rate", "150"),
     ("seed", "-1"), ("profile", "nobody@example.com")],
)  # fmt: skip
def test_simulate_bad_input_is_shown_at_its_field(
    dashboard: Dashboard, workspace: Workspace, field: str, value: str
) -> None:
    jid = _create(dashboard, workspace, publish=False)
    client = dashboard.sign_in(Role.analyst)
    form = client.get(f"/journeys/{jid}/simulate").text
    assert 'name="audience"' in form and 'type="datetime-local"' in form
    good = {"run": "1", "audience": "200", "people": "generated", "start": "2026-12-24T09:00",
            "days": "10", "events": "Order Completed = 30", "condition_rate": "50",
            "seed": "7"}  # fmt: skip
    if field == "profile":
        good["people"] = "profile"
    res = client.get(f"/journeys/{jid}/simulate", params={**good, field: value})
    assert res.status_code == 400
    assert f'id="{field}" ' in res.text and f'aria-describedby="{field}-error"' in res.text
    assert f'<p class="field-error" id="{field}-error">' in res.text


def test_simulate_draws_where_people_would_go(dashboard: Dashboard, workspace: Workspace) -> None:
    jid = _create(dashboard, workspace, publish=False)
    client = dashboard.sign_in(Role.analyst)
    params = {"run": "1", "audience": "500", "people": "generated", "start": "2026-12-24T09:00",
              "days": "10", "events": "Order Completed = 30\nEmail Opened = 40",
              "condition_rate": "50", "seed": "7", "lang": "en"}  # fmt: skip
    res = client.get(f"/journeys/{jid}/simulate", params=params)
    assert res.status_code == 200, res.text
    assert "People: 500 · days simulated: 10" in res.text
    svg = res.text[res.text.index("<svg") : res.text.index("</svg>")]
    assert len(re.findall(r'data-node="', svg)) == len(CART_ABANDONMENT["nodes"]) + 2
    assert "500 in" in svg  # everyone enters
    vi = client.get(f"/journeys/{jid}/simulate", params={**params, "lang": "vi"})
    assert vi.status_code == 200 and "Số người: 500" in vi.text


def test_versions_are_listed_and_each_can_be_drawn(
    dashboard: Dashboard, workspace: Workspace
) -> None:
    jid = _create(dashboard, workspace)
    second = copy.deepcopy(CART_ABANDONMENT)
    second["nodes"]["wait_1h"]["for"] = "2h"
    res = dashboard.client.put(
        f"/v1/journeys/{jid}", headers=bearer(workspace.secret_key), json={"definition": second}
    )
    assert res.status_code == 200, res.text
    client = dashboard.sign_in(Role.marketer)
    page = client.get(f"/journeys/{jid}?lang=en").text
    assert f'href="/journeys/{jid}?version=1"' in page and "Publish version 2" in page
    assert ">2h<" in page  # the latest version is drawn by default
    first = client.get(f"/journeys/{jid}?version=1&lang=en")
    assert first.status_code == 200 and ">1h<" in first.text
    assert "Journey map, version 1" in first.text
    assert client.get(f"/journeys/{jid}?version=9").status_code == 404
