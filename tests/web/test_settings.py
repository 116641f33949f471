"""Settings: sources and write keys, API keys, dashboard users, workspace settings, audit log."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.web.conftest import Dashboard, csrf_of
from unicx.auth.models import Role
from unicx.auth.users import UserService
from unicx.config import load_settings
from unicx.privacy.audit import record
from unicx.web.settings.workspace import HIDDEN, setting_rows, without_userinfo

PAGES = (
    "/settings/sources",
    "/settings/keys",
    "/settings/users",
    "/settings/workspace",
    "/settings/audit",
)
SECRET = re.compile(r'id="secret"[^>]*value="([^"]+)"')


def shown_secret(html: str) -> str:
    match = SECRET.search(html)
    assert match, "the page shows no secret"
    return match.group(1)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_settings_page_renders_for_an_admin(dashboard: Dashboard, lang: str) -> None:
    client = dashboard.sign_in(Role.admin)
    for path in PAGES:
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 200, (path, page.text)
        assert f'<html lang="{lang}">' in page.text
        assert 'class="tabs"' in page.text
    assert client.get("/settings").headers["location"] == "/settings/sources"


def test_vietnamese_labels(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    assert "Khóa API" in client.get("/settings/keys?lang=vi").text
    assert "API keys" in client.get("/settings/keys?lang=en").text


def test_viewer_sees_sources_without_write_controls(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.viewer)
    page = client.get("/settings/sources")
    assert page.status_code == 200
    assert 'action="/settings/sources"' not in page.text and "/keys/" not in page.text
    # Tabs the viewer may not open are not offered, and forging them answers 403.
    assert 'href="/settings/keys"' not in page.text
    assert client.get("/settings/keys").status_code == 403
    token = csrf_of(page.text)
    forged = client.post("/settings/keys", data={"name": "x", "role": "admin", "csrf_token": token})
    assert forged.status_code == 403
    assert (
        client.post("/settings/sources", data={"name": "x", "csrf_token": token}).status_code == 403
    )


def test_marketer_cannot_manage_users(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get("/settings/sources").text)
    assert client.get("/settings/users").status_code == 403
    form = {"email": "new@shop.example.com", "role": "admin", "csrf_token": token}
    assert client.post("/settings/users", data=form).status_code == 403
    for action in ("disable", "reset"):
        res = client.post(f"/settings/users/usr_x/{action}", data={"csrf_token": token})
        assert res.status_code == 403


def test_posts_without_csrf_token_are_refused(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    posts = {
        "/settings/sources": {"name": "Shop"},
        "/settings/keys": {"name": "k", "role": "viewer"},
        "/settings/users": {"email": "x@shop.example.com", "role": "viewer"},
        "/settings/keys/key_x/revoke": {},
        "/settings/users/usr_x/disable": {},
    }
    for path, form in posts.items():
        assert client.post(path, data=form).status_code == 403, path
    assert "Shop" not in client.get("/settings/sources").text


def test_api_key_is_shown_once(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/settings/keys").text)
    res = client.post(
        "/settings/keys", data={"name": "Nightly export", "role": "analyst", "csrf_token": token}
    )
    assert res.status_code == 200 and res.headers["cache-control"] == "no-store"
    secret = shown_secret(res.text)
    assert secret.startswith("sk_")
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["role"] == "analyst"
    listed = client.get("/settings/keys").text
    assert "Nightly export" in listed and secret not in listed and secret[:10] in listed
    key_id = re.search(r"/settings/keys/(key_[0-9a-f]+)/revoke", listed)
    assert key_id
    revoked = client.post(f"/settings/keys/{key_id.group(1)}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_key_without_name_is_refused_at_the_field(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/settings/keys?lang=en").text)
    res = client.post("/settings/keys", data={"name": "  ", "role": "viewer", "csrf_token": token})
    assert res.status_code == 400
    assert 'aria-invalid="true" aria-describedby="name-error"' in res.text
    assert "Enter a name." in res.text


def test_source_write_key_rotation(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/settings/sources").text)
    created = client.post("/settings/sources", data={"name": "iOS app", "csrf_token": token})
    first = shown_secret(created.text)
    assert first.startswith("wk_")
    listed = client.get("/settings/sources").text
    assert "iOS app" in listed and first not in listed and first[-4:] in listed
    source_id = re.search(r"/settings/sources/(src_[0-9a-f]+)/keys\"", listed)
    assert source_id
    path = f"/settings/sources/{source_id.group(1)}"
    second = shown_secret(client.post(f"{path}/keys", data={"csrf_token": token}).text)
    assert second != first
    sources = client.get(
        f"/v1/sources/{source_id.group(1)}",
        headers={"Authorization": f"Bearer {dashboard_secret(client)}"},
    )
    assert {k["write_key"] for k in sources.json()["write_keys"]} == {first, second}


def dashboard_secret(client: TestClient) -> str:
    """An admin API key made through the dashboard (to check its work through the API)."""
    token = csrf_of(client.get("/settings/keys").text)
    res = client.post(
        "/settings/keys", data={"name": "check", "role": "admin", "csrf_token": token}
    )
    return shown_secret(res.text)


def test_revoking_a_source_asks_for_its_name(dashboard: Dashboard, workspace: Workspace) -> None:
    client = dashboard.sign_in(Role.admin)
    page = client.get("/settings/sources?lang=en").text
    token = csrf_of(page)
    source_id = re.search(r"/settings/sources/(src_[0-9a-f]+)/revoke", page)
    assert source_id
    path = f"/settings/sources/{source_id.group(1)}/revoke"
    wrong = client.post(path, data={"confirm": "nope", "csrf_token": token})
    assert wrong.status_code == 400 and 'id="confirm-' in wrong.text
    assert "name exactly to revoke it." in wrong.text
    name = re.search(r'<h2 id="src-[^"]+">([^<]+?)\s*<', page)
    assert name
    ok = client.post(path, data={"confirm": name.group(1).strip(), "csrf_token": token})
    assert ok.status_code == 303
    track = client.post(
        "/v1/track", auth=(workspace.write_key, ""), json={"userId": "u1", "event": "X"}
    )
    assert track.status_code == 401


def test_dashboard_user_is_created_with_a_password_shown_once(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/settings/users").text)
    res = client.post(
        "/settings/users",
        data={"email": "Lan@shop.example.com", "role": "analyst", "csrf_token": token},
    )
    password = shown_secret(res.text)
    listed = client.get("/settings/users").text
    assert "lan@shop.example.com" in listed and password not in listed
    other = TestClient(client.app, follow_redirects=False)
    login = csrf_of(other.get("/login").text)
    signed = other.post(
        "/login", data={"email": "lan@shop.example.com", "password": password, "csrf_token": login}
    )
    assert signed.status_code == 303 and other.get("/home").status_code == 200
    again = client.post(
        "/settings/users",
        data={"email": "lan@shop.example.com", "role": "viewer", "csrf_token": token},
    )
    assert again.status_code == 409 and 'aria-describedby="email-error"' in again.text
    bad = client.post(
        "/settings/users", data={"email": "not an e-mail", "role": "viewer", "csrf_token": token}
    )
    assert bad.status_code == 400 and 'id="email-error"' in bad.text


def test_reset_and_disable_end_the_users_sessions(dashboard: Dashboard) -> None:
    admin = dashboard.sign_in(Role.admin)
    listed = admin.get("/settings/users").text
    token = csrf_of(listed)
    viewer = TestClient(admin.app, follow_redirects=False)
    other = Dashboard(viewer, dashboard.passwords)
    other.sign_in(Role.viewer)
    assert viewer.get("/home").status_code == 200
    viewer_id = _user_id(dashboard, dashboard.email(Role.viewer))
    reset = admin.post(f"/settings/users/{viewer_id}/reset", data={"csrf_token": token})
    new_password = shown_secret(reset.text)
    assert viewer.get("/home").status_code == 303  # signed out by the reset
    other.passwords = {**dashboard.passwords, Role.viewer: new_password}
    other.sign_in(Role.viewer)
    disabled = admin.post(f"/settings/users/{viewer_id}/disable", data={"csrf_token": token})
    assert disabled.status_code == 303
    assert viewer.get("/home").status_code == 303
    assert "disabled" in admin.get("/settings/users?lang=en").text


def test_admin_cannot_disable_themself(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    listed = client.get("/settings/users").text
    me = _user_id(dashboard, dashboard.email(Role.admin))
    res = client.post(f"/settings/users/{me}/disable", data={"csrf_token": csrf_of(listed)})
    assert res.status_code == 400
    assert client.get("/home").status_code == 200


def _user_id(dashboard: Dashboard, email: str) -> str:
    store = dashboard.client.app.state.ctx.store  # type: ignore[attr-defined]
    return UserService(store).get(email).user_id


def test_secrets_never_appear_on_settings_pages(dashboard: Dashboard, workspace: Workspace) -> None:
    client = dashboard.sign_in(Role.admin)
    for path in PAGES:
        text = client.get(path).text
        assert workspace.secret_key not in text and workspace.write_key not in text, path
        assert "argon2" not in text and dashboard.passwords[Role.admin] not in text, path


def test_workspace_settings_show_descriptions_without_credentials(tmp_path: object) -> None:
    settings = load_settings(
        workspace=str(tmp_path), public_url="https://ops:hunter2@cdp.example.com"
    )
    rows = {r.name: r for r in setting_rows(settings)}
    assert rows["public_url"].value == f"https://{HIDDEN}@cdp.example.com"
    assert rows["public_url"].changed and "Base URL" in rows["public_url"].description
    assert all("hunter2" not in (r.value or "") for r in rows.values())
    assert without_userinfo("https://cdp.example.com/x") == "https://cdp.example.com/x"


def test_audit_log_pages(dashboard: Dashboard) -> None:
    store = dashboard.client.app.state.ctx.store  # type: ignore[attr-defined]
    with store.session() as s:
        for n in range(60):
            record(s, actor="key_admin", action="profile.export", target=f"p{n:02d}", detail={})
        record(s, actor="key_admin", action="profile.erase", target="gone", detail={"rows": 3})
    client = dashboard.sign_in(Role.admin)
    first = client.get("/settings/audit?lang=en").text
    assert "gone" in first and "page=2" in first
    second = client.get("/settings/audit?page=2").text
    assert "p00" in second and "page=3" not in second
    only = client.get("/settings/audit?action=profile.erase").text
    assert "gone" in only and "p00" not in only
    assert client.get("/settings/audit?page=0").status_code == 400
    analyst = Dashboard(TestClient(client.app, follow_redirects=False), dashboard.passwords)
    assert analyst.sign_in(Role.analyst).get("/settings/audit").status_code == 403


def test_workspace_settings_descriptions_in_vietnamese(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    vi = client.get("/settings/workspace?lang=vi").text
    assert "Múi giờ của workspace" in vi and "Asia/Ho_Chi_Minh" in vi
    en = client.get("/settings/workspace?lang=en").text
    assert "Workspace time zone: day boundaries" in en
