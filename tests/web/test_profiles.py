"""Profiles in the dashboard: search (diacritics aside), Profile 360 in both languages, its
timeline fragment, and the admin actions (unmerge, export, erase) with their permissions."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import basic, bearer
from tests.web.conftest import Dashboard, csrf_of
from unicx.auth.models import Role

AN = {"name": "Nguyễn Văn An", "email": "an.nguyen@example.vn", "phone": "0912345678",
      "address": {"city": "Hà Nội", "country": "VN"}}  # fmt: skip
LINK = re.compile(r'href="/profiles/([0-9a-zA-Z_-]+)"')


def _event(kind: str, n: int, **fields: object) -> dict[str, object]:
    stamp = f"2026-12-0{1 + n % 7}T0{n % 10}:00:00Z"
    return {"type": kind, "messageId": f"m-{kind}-{n}", "timestamp": stamp, **fields}


@pytest.fixture
def people(dashboard: Dashboard, workspace: Workspace) -> Dashboard:
    """Two people and an anonymous visitor ingested through the real /v1/batch; profiles
    resolved before the tests."""
    batch = [
        _event("identify", 1, userId="u-an", traits=AN),
        _event("track", 2, userId="u-an", event="Order Completed",
               properties={"order_id": "o-1", "revenue": 1250000, "currency": "VND"}),
        _event("page", 3, userId="u-an", name="Trà sen", properties={"path": "/tra-sen"}),
        _event("identify", 4, userId="u-john", traits={"name": "John Smith",
                                                       "email": "john@example.com"}),
        _event("page", 5, anonymousId="visitor-7", name="Home"),
    ]  # fmt: skip
    client = dashboard.client
    res = client.post("/v1/batch", json={"batch": batch}, headers=basic(workspace.write_key))
    assert res.status_code == 200, res.text
    admin = bearer(workspace.secret_key)
    res = client.post("/v1/identity/resolve", headers=admin)
    assert res.status_code == 200, res.text
    return dashboard


def _find(client: TestClient, q: str) -> list[str]:
    page = client.get("/profiles", params={"q": q})
    assert page.status_code == 200, page.text
    return LINK.findall(page.text)


def _an(client: TestClient) -> str:
    found = _find(client, "an.nguyen@example.vn")
    assert len(found) == 1
    return found[0]


def test_search_by_unaccented_name_finds_the_accented_person(people: Dashboard) -> None:
    client = people.sign_in(Role.analyst)
    page = client.get("/profiles?q=nguyen+van+an")
    assert page.status_code == 200 and 'type="search"' in page.text
    assert "Nguyễn Văn An" in page.text and "John Smith" not in page.text
    assert _find(client, "0912 345 678") == _find(client, "nguyen van an")
    assert "Không ai khớp" in client.get("/profiles?q=zzzz").text
    assert client.get("/profiles").status_code == 200


def test_profile_360_in_vietnamese_and_english(people: Dashboard) -> None:
    client = people.sign_in(Role.marketer)
    pid = _an(client)
    vi = client.get(f"/profiles/{pid}")
    assert vi.status_code == 200 and '<html lang="vi">' in vi.text
    for shown in ("Nguyễn Văn An", "an.nguyen@example.vn", "Hà Nội", "1.250.000", "Đồng ý",
                  "Dòng thời gian", "Lịch sử gộp hồ sơ"):  # fmt: skip
        assert shown in vi.text, shown
    en = client.get(f"/profiles/{pid}?lang=en")
    assert en.status_code == 200 and '<html lang="en">' in en.text
    assert "Lifetime revenue" in en.text and "₫1,250,000" in en.text
    assert client.get("/profiles/nobody-here").status_code == 404


def test_timeline_fragment_pages_and_filters(people: Dashboard) -> None:
    client = people.sign_in(Role.analyst)
    pid = _an(client)
    frag = client.get(f"/profiles/{pid}/timeline", headers={"HX-Request": "true"})
    assert frag.status_code == 200 and "<html" not in frag.text
    assert "Order Completed" in frag.text and "Trà sen" in frag.text
    only = client.get(f"/profiles/{pid}/timeline?type=events&event=Order+Completed")
    assert only.status_code == 200 and "<html" in only.text
    assert "Order Completed" in only.text and "Trà sen" not in only.text
    assert client.get(f"/profiles/{pid}/timeline?type=messages").status_code == 200
    assert client.get(f"/profiles/{pid}/timeline?type=nope").status_code == 400
    assert client.get(f"/profiles/{pid}/offers").status_code == 403  # analyst: no serving


def test_offers_preview_renders_for_a_marketer(people: Dashboard) -> None:
    client = people.sign_in(Role.marketer)
    pid = _an(client)
    res = client.get(f"/profiles/{pid}/offers", headers={"HX-Request": "true"})
    assert res.status_code == 200, res.text
    assert "Gợi ý" in res.text or "gợi ý" in res.text


def test_viewer_cannot_open_profiles(people: Dashboard) -> None:
    client = people.sign_in(Role.viewer)
    assert client.get("/profiles").status_code == 403
    assert client.get("/profiles?q=an").status_code == 403


def test_marketer_sees_no_erase_and_a_forged_erase_is_refused(people: Dashboard) -> None:
    client = people.sign_in(Role.marketer)
    pid = _an(client)
    page = client.get(f"/profiles/{pid}").text
    assert "/erase" not in page and "/export" not in page and "data-confirm" not in page
    token = csrf_of(page)
    for action in ("erase", "export"):
        forged = client.post(f"/profiles/{pid}/{action}",
                             data={"csrf_token": token, "confirm": pid})  # fmt: skip
        assert forged.status_code == 403, action
    assert _find(client, "an.nguyen@example.vn") == [pid]


def test_post_without_csrf_token_is_refused(people: Dashboard) -> None:
    client = people.sign_in(Role.admin)
    pid = _an(client)
    assert client.post(f"/profiles/{pid}/erase", data={"confirm": pid}).status_code == 403
    assert client.post(f"/profiles/{pid}/export").status_code == 403
    assert client.get(f"/profiles/{pid}").status_code == 200


def test_export_downloads_the_person(people: Dashboard) -> None:
    client = people.sign_in(Role.admin)
    pid = _an(client)
    token = csrf_of(client.get(f"/profiles/{pid}").text)
    res = client.post(f"/profiles/{pid}/export", data={"csrf_token": token})
    assert res.status_code == 200 and "attachment" in res.headers["content-disposition"]
    assert json.loads(res.text)["profile_id"] == pid


def test_erase_needs_the_typed_confirmation_then_the_person_is_gone(people: Dashboard) -> None:
    client = people.sign_in(Role.admin)
    pid = _an(client)
    page = client.get(f"/profiles/{pid}").text
    assert 'data-confirm="an.nguyen@example.vn"' in page
    token = csrf_of(page)
    wrong = client.post(f"/profiles/{pid}/erase",
                        data={"csrf_token": token, "confirm": "john@example.com"})  # fmt: skip
    assert wrong.status_code == 400
    assert 'aria-invalid="true"' in wrong.text and 'id="confirm-error"' in wrong.text
    assert _find(client, "an.nguyen@example.vn") == [pid]
    done = client.post(f"/profiles/{pid}/erase",
                       data={"csrf_token": token, "confirm": "An.Nguyen@example.vn"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/profiles?done=erased"
    assert _find(client, "nguyen van an") == []
    assert _find(client, "an.nguyen@example.vn") == []
    assert client.get(f"/profiles/{pid}").status_code == 404
    assert len(_find(client, "john smith")) == 1


def test_unmerge_is_for_admins(people: Dashboard, workspace: Workspace) -> None:
    client = people.sign_in(Role.marketer)
    an, visitor = _an(client), _find(client, "visitor-7")[0]
    body = {"winner_id": an, "loser_id": visitor}
    res = client.post("/v1/identity/merges", json=body, headers=bearer(workspace.secret_key))
    assert res.status_code == 200, res.text
    merge_id = res.json()["merge_id"]
    page = client.get(f"/profiles/{an}").text
    assert "visitor-7" in page and "/undo" not in page
    undo = f"/profiles/{an}/merges/{merge_id}/undo"
    assert client.post(undo, data={"csrf_token": csrf_of(page)}).status_code == 403
    client.cookies.clear()
    admin = people.sign_in(Role.admin)
    page = admin.get(f"/profiles/{an}").text
    assert undo in page
    assert admin.post(undo).status_code == 403  # no CSRF token
    done = admin.post(undo, data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=unmerged")
    assert "visitor-7" not in admin.get(f"/profiles/{an}").text
    assert _find(admin, "visitor-7") == [visitor]
