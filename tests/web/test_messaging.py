"""Messaging pages: the message log and its filters, dead letters and replay, channel settings
(secrets never shown back), caps and quiet hours, the suppression list, audiences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.web.conftest import Dashboard, csrf_of
from unicx.auth.models import Role
from unicx.store import Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PAGES = ["/messaging", "/messaging/dead", "/messaging/channels", "/messaging/policy",
         "/messaging/suppressions", "/messaging/audiences"]  # fmt: skip


def store_of(dashboard: Dashboard) -> Store:
    store: Store = dashboard.client.app.state.ctx.store  # type: ignore[attr-defined]
    return store


def message(
    store: Store,
    mid: str,
    *,
    channel: str = "email",
    status: str = "sent",
    reason: str | None = None,
    minutes: int = 0,
    last_error: str | None = None,
) -> None:
    """A message as the outbox leaves it (as tests/channels write them)."""
    at = T0 + timedelta(minutes=minutes)
    with store.session() as s, s.transaction():
        s.execute(
            "INSERT INTO messages (message_id, profile_id, channel, category, spec, address, "
            "status, reason, attempts, created_at, due_at, updated_at, last_error) "
            "VALUES (?, 'p1', ?, 'marketing', '{}', 'an@example.vn', ?, ?, 1, ?, ?, ?, ?)",
            [mid, channel, status, reason, at, at, at, last_error],
            step="test.message",
        )


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_renders_in_both_languages(dashboard: Dashboard, path: str, lang: str) -> None:
    client = dashboard.sign_in(Role.admin)
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200, page.text
    assert f'<html lang="{lang}">' in page.text
    assert ("Nhật ký tin nhắn" if lang == "vi" else "Message log") in page.text


def test_the_message_log_filters_by_channel_status_and_reason(dashboard: Dashboard) -> None:
    store = store_of(dashboard)
    message(store, "m-sent", minutes=1)
    message(store, "m-consent", status="suppressed", reason="no consent for email", minutes=2)
    message(store, "m-cap", channel="sms", status="suppressed",
            reason="frequency cap: at most 1 sms messages per 1d", minutes=3)  # fmt: skip
    client = dashboard.sign_in(Role.analyst)
    everything = client.get("/messaging?lang=en").text
    assert all(m in everything for m in ("no consent for email", "at most 1 sms"))
    by_reason = client.get("/messaging?reason=no+consent&lang=en").text
    assert "no consent for email" in by_reason and "at most 1 sms" not in by_reason
    by_channel = client.get("/messaging?channel=sms&status=suppressed").text
    assert "at most 1 sms" in by_channel and "no consent for email" not in by_channel
    none = client.get("/messaging?status=dead&lang=en").text
    assert "No message matches these filters." in none


def test_the_log_pages_on_the_server(dashboard: Dashboard) -> None:
    store = store_of(dashboard)
    for i in range(55):
        message(store, f"m{i:02d}", minutes=i)
    client = dashboard.sign_in(Role.analyst)
    first = client.get("/messaging?channel=email").text
    assert 'rel="next"' in first and "page=2" in first and "channel=email" in first
    second = client.get("/messaging?channel=email&page=2").text
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert second.count("<tr>") == 5 + 1  # five rows and the header


def test_replay_a_dead_letter(dashboard: Dashboard) -> None:
    message(store_of(dashboard), "m-dead", status="dead", last_error="connection refused")
    client = dashboard.sign_in(Role.marketer)
    page = client.get("/messaging/dead?lang=en").text
    assert "connection refused" in page and "/messaging/dead/m-dead/replay" in page
    done = client.post("/messaging/dead/m-dead/replay", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    assert "m-dead" not in client.get("/messaging/dead").text.split("<table")[-1]
    unknown = client.post("/messaging/dead/nope/replay", data={"csrf_token": csrf_of(page)})
    assert unknown.status_code == 404 and '<html lang="en">' in unknown.text


def test_an_analyst_sees_no_replay_and_a_forged_one_is_refused(dashboard: Dashboard) -> None:
    message(store_of(dashboard), "m-dead", status="dead", last_error="timeout")
    client = dashboard.sign_in(Role.analyst)
    page = client.get("/messaging/dead").text
    assert "timeout" in page and "/replay" not in page
    forged = client.post("/messaging/dead/m-dead/replay", data={"csrf_token": csrf_of(page)})
    assert forged.status_code == 403


def test_a_post_without_csrf_token_is_refused(dashboard: Dashboard) -> None:
    message(store_of(dashboard), "m-dead", status="dead")
    client = dashboard.sign_in(Role.admin)
    for path, data in (("/messaging/dead/m-dead/replay", {}),
                       ("/messaging/channels/webhook", {"cfg:timeout_s": "5"}),
                       ("/messaging/policy", {"timezone": "UTC"})):  # fmt: skip
        assert client.post(path, data=data).status_code == 403, path


def test_a_secret_is_never_shown_after_it_is_set(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    page = client.get("/messaging/channels").text
    token = csrf_of(page)
    secret = "s3cret-signing-key-4242"
    form = {"csrf_token": token, "cfg:signing_secret": secret, "cfg:timeout_s": "7",
            "cfg:max_attempts": "5", "cfg:backoff_base_s": "2", "cfg:backoff_cap_s": "3600",
            "cfg:headers": ""}  # fmt: skip
    saved = client.post("/messaging/channels/webhook", data=form)
    assert saved.status_code == 303, saved.text
    after = client.get("/messaging/channels?lang=en").text
    assert secret not in after
    webhook = after.split('id="ch-webhook"')[1].split("</section>")[0]
    assert ">set<" in webhook and 'value="7.0"' in webhook
    # Saving again with the secret left empty keeps it (an empty write-only input).
    form2 = {**form, "cfg:signing_secret": "", "cfg:timeout_s": "9"}
    assert client.post("/messaging/channels/webhook", data=form2).status_code == 303
    with store_of(dashboard).session() as s:
        row = s.fetchone("SELECT config FROM channel_configs WHERE channel = 'webhook'", step="t")
    assert row and secret in str(row[0]) and '"timeout_s":9.0' in str(row[0])
    assert secret not in client.get("/messaging/channels").text


def test_bad_channel_settings_are_shown_at_their_field(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/messaging/channels").text)
    form = {"csrf_token": token, "cfg:host": "smtp.example.vn", "cfg:port": "99999",
            "cfg:security": "none", "cfg:from_address": "shop@example.vn",
            "cfg:timeout_s": "10"}  # fmt: skip
    res = client.post("/messaging/channels/email", data=form)
    assert res.status_code == 400
    assert 'id="email-cfg-port-error"' in res.text and 'aria-invalid="true"' in res.text


def test_an_analyst_sees_settings_without_inputs(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.analyst)
    page = client.get("/messaging/channels").text
    assert 'type="password"' not in page and "/messaging/channels/email" not in page
    forged = client.post("/messaging/channels/email", data={"csrf_token": csrf_of(page)})
    assert forged.status_code == 403
    policy = client.get("/messaging/policy").text
    assert '<form method="post" action="/messaging/policy"' not in policy
    assert client.post("/messaging/policy", data={"csrf_token": csrf_of(policy)}).status_code == 403


def test_caps_and_quiet_hours_are_edited_with_errors_at_the_field(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get("/messaging/policy").text)
    form = {"csrf_token": token, "cap-0-channel": "email", "cap-0-max": "3", "cap-0-per": "7d",
            "cap-1-channel": "*", "cap-1-max": "", "cap-1-per": "",
            "quiet_on": "on", "quiet_start": "22:00", "quiet_end": "07:00", "quiet-sms": "on",
            "timezone": "Asia/Ho_Chi_Minh"}  # fmt: skip
    assert client.post("/messaging/policy", data=form).status_code == 303
    page = client.get("/messaging/policy").text
    assert 'value="3"' in page and 'value="22:00"' in page
    bad = client.post(
        "/messaging/policy", data={**form, "cap-0-per": "soon", "timezone": "Mars/Base"}
    )
    assert bad.status_code == 400
    assert "field-error" in bad.text and 'aria-describedby="timezone-error"' in bad.text


def test_suppression_list_is_searched_and_shown(dashboard: Dashboard) -> None:
    with store_of(dashboard).session() as s, s.transaction():
        s.execute(
            "INSERT INTO suppressions VALUES ('email', 'gone@example.vn', 'hard bounce', 'p9', ?)",
            [T0],
            step="test.suppress",
        )
    client = dashboard.sign_in(Role.analyst)
    page = client.get("/messaging/suppressions?lang=vi").text
    assert "gone@example.vn" in page and "p9" in page
    assert "gone@example.vn" not in client.get("/messaging/suppressions?q=nobody").text
