"""Signing in and out, sessions, CSRF, the login rate limit, languages and /docs."""

from __future__ import annotations

from tests.web.conftest import Dashboard, csrf_of
from unicx.auth.models import Role


def test_root_redirects_to_login_then_home(dashboard: Dashboard) -> None:
    assert dashboard.client.get("/").headers["location"] == "/login"
    assert dashboard.client.get("/home").headers["location"] == "/login"
    page = dashboard.client.get("/login")
    assert 'name="email"' in page.text and 'name="password"' in page.text
    dashboard.sign_in(Role.viewer)
    assert dashboard.client.get("/").headers["location"] == "/home"
    home = dashboard.client.get("/home")
    assert home.status_code == 200 and "<nav" in home.text and '<html lang="vi">' in home.text


def test_session_cookie_is_httponly_and_lax(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/login")
    res = dashboard.client.post(
        "/login",
        data={"email": dashboard.email(Role.admin), "password": dashboard.passwords[Role.admin],
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    cookie = next(c for c in res.headers.get_list("set-cookie") if c.startswith("unicx_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # Development settings: no Secure flag, so http://127.0.0.1 works; production sets it.
    assert "Secure" not in cookie


def test_login_without_csrf_token_is_refused(dashboard: Dashboard) -> None:
    dashboard.client.get("/login")
    res = dashboard.client.post(
        "/login",
        data={"email": dashboard.email(Role.admin), "password": dashboard.passwords[Role.admin]},
    )
    assert res.status_code == 403
    assert "unicx_session" not in res.headers.get("set-cookie", "")


def test_wrong_password_then_rate_limit(dashboard: Dashboard) -> None:
    token = csrf_of(dashboard.client.get("/login").text)
    form = {"email": dashboard.email(Role.analyst), "password": "nope", "csrf_token": token}
    statuses = [dashboard.client.post("/login", data=form).status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    # The right password is refused too while the account is over its limit.
    right = {**form, "password": dashboard.passwords[Role.analyst]}
    assert dashboard.client.post("/login", data=right).status_code == 429
    # Another account from the same address is not locked by this one's failures.
    viewer = {"email": dashboard.email(Role.viewer), "password": dashboard.passwords[Role.viewer]}
    other = {**right, **viewer}
    assert dashboard.client.post("/login", data=other).status_code == 303


def test_logout_needs_csrf_and_ends_the_session(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    assert client.post("/logout").status_code == 403
    assert client.get("/home").status_code == 200
    token = csrf_of(client.get("/home").text)
    assert client.post("/logout", data={"csrf_token": token}).headers["location"] == "/login"
    assert client.get("/home").headers["location"] == "/login"


def test_stolen_cookie_dies_with_logout(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    stolen = client.cookies["unicx_session"]
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/home").text)})
    client.cookies.set("unicx_session", stolen)
    assert client.get("/home").headers["location"] == "/login"


def test_language_switch_is_remembered_for_the_user(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.viewer)
    assert "Trang chủ" in client.get("/home").text
    english = client.get("/home?lang=en").text
    assert '<html lang="en">' in english and ">Home<" in english
    assert '<html lang="en">' in client.get("/home").text  # remembered without ?lang


def test_signed_out_pages_take_lang_too(dashboard: Dashboard) -> None:
    assert '<html lang="en">' in dashboard.client.get("/login?lang=en").text
    assert '<html lang="en">' in dashboard.client.get("/login").text  # the cookie keeps it


def test_change_password(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.analyst)
    token = csrf_of(client.get("/account").text)
    new = "a-long-new-passphrase"
    wrong = {"current_password": "wrong", "new_password": new, "csrf_token": token}
    res = client.post("/account/password", data=wrong)
    assert res.status_code == 400 and 'aria-invalid="true"' in res.text
    current = dashboard.passwords[Role.analyst]
    short = {**wrong, "current_password": current, "new_password": "short"}
    assert client.post("/account/password", data=short).status_code == 400
    ok = {**short, "new_password": "a-long-new-passphrase"}
    assert client.post("/account/password", data=ok).headers["location"] == "/account?changed=1"
    assert client.get("/home").status_code == 200  # this browser keeps a fresh session
    dashboard.passwords[Role.analyst] = "a-long-new-passphrase"
    client.cookies.clear()
    dashboard.sign_in(Role.analyst)


def test_docs_open_for_a_signed_in_user(dashboard: Dashboard) -> None:
    assert dashboard.client.get("/docs").status_code == 401
    client = dashboard.sign_in(Role.viewer)
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "unicx"


def test_security_headers_on_pages_only(dashboard: Dashboard) -> None:
    page = dashboard.client.get("/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" not in dashboard.client.get("/v1/pipeline").headers


def test_next_is_only_a_local_path(dashboard: Dashboard) -> None:
    token = csrf_of(dashboard.client.get("/login").text)
    for target, expected in [("//evil.example/x", "/home"), ("https://evil.example", "/home"),
                             ("/segments?x=1", "/segments?x=1")]:  # fmt: skip
        dashboard.client.cookies.delete("unicx_session")
        res = dashboard.client.post(
            "/login",
            data={"email": dashboard.email(Role.admin), "password": dashboard.passwords[Role.admin],
                  "csrf_token": token, "next": target},
        )  # fmt: skip
        assert res.headers["location"] == expected
