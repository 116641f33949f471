"""The messaging policy at send time, through the real outbox with a fixed injected clock and
real channels: e-mail to an aiosmtpd server on loopback, SMS to a local HTTP gateway, in-app
into the workspace. Frequency caps per channel and across channels, priorities when caps bite,
transactional messages, quiet hours in each person's time zone, consent, the suppression list,
and an SMTP server that is down (retried with backoff, then dead, never dropped, nobody else
held up)."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Workspace
from tests.helpers import LOOPBACK, free_port
from unicx.channels.config import save_config
from unicx.channels.deadletter import list_dead, replay
from unicx.channels.outbox import DispatchResult, Outbox
from unicx.channels.policy import check_policy, quiet_until, read_policy, save_policy
from unicx.channels.retry import DEFAULT_BASE_S, DEFAULT_MAX_ATTEMPTS
from unicx.clock import Clock
from unicx.privacy.consent import set_consent
from unicx.store import Store
from unicx.workspace import open_store

# Monday 3 March 2025, 10:00 in Ho Chi Minh City (UTC+7) and 04:00 in Paris (UTC+1).
T = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)
EMAIL = {
    "subject": "Ưu đãi cho {{ traits.first_name | default('bạn') }}",
    "html": "<p>Giảm 20%</p>",
}
SMS = {"text": "Giảm 20% hôm nay"}
WEB = {"title": "Ưu đãi", "body": "Giảm 20%"}
CONTENT = {"email": EMAIL, "sms": SMS, "in_app": WEB, "web": WEB}


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def ids(self) -> list[str]:
        return [str(m["X-Unicx-Message-Id"]) for m in self.messages]


@dataclass
class Gateway:
    """A stand-in SMS gateway: records each JSON body, answers 200 with an id."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Gateway:
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                bodies.append(json.loads(raw))
                answer = json.dumps({"data": {"id": f"gw-{len(bodies)}"}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def ids(self) -> list[str]:
        return [str(b["message_id"]) for b in self.bodies]


@dataclass
class World:
    store: Store
    workspace: Workspace
    outbox: Outbox
    mail: Mailbox
    gateway: Gateway
    smtp_port: int

    def person(self, pid: str, *, phone: str | None = None, timezone: str | None = None) -> None:
        """A profile with a user id, an e-mail, maybe a phone and a time-zone trait."""
        ids = [("user_id", pid), ("email", f"{pid}@example.vn")]
        if phone is not None:
            ids.append(("phone", phone))
        with self.store.session() as s, s.transaction():
            s.execute("INSERT INTO profiles VALUES (?, ?, ?)", [pid, T, T], step="test.profile")
            for kind, value in ids:
                s.execute(
                    "INSERT INTO identities VALUES (?, ?, ?, ?, ?)",
                    [kind, value, pid, T, T],
                    step="test.identity",
                )
            traits = {"first_name": pid.title(), **({"timezone": timezone} if timezone else {})}
            for name, value in traits.items():
                s.execute(
                    "INSERT INTO profile_traits VALUES (?, ?, ?, ?)",
                    [pid, name, json.dumps(value), T],
                    step="test.trait",
                )

    def queue(
        self,
        mid: str,
        pid: str,
        channel: str,
        *,
        due: datetime = T,
        category: str = "marketing",
        priority: int = 0,
    ) -> None:
        """A message in the outbox as any producer leaves it: queued, due at ``due``."""
        spec = json.dumps({"content": CONTENT[channel]}, ensure_ascii=False)
        with self.store.session() as s, s.transaction():
            s.execute(
                "INSERT INTO messages (message_id, profile_id, channel, category, priority, spec, "
                "status, created_at, due_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', "
                "?, ?, ?)",
                [mid, pid, channel, category, priority, spec, due, due, due],
                step="test.queue",
            )

    def dispatch(self, now: datetime) -> DispatchResult:
        return self.outbox.dispatch(now=now)

    def status(self, mid: str) -> tuple[str, str | None]:
        with self.store.session() as s:
            row = s.fetchone(
                "SELECT status, reason FROM messages WHERE message_id = ?", [mid], step="test.st"
            )
        assert row is not None, mid
        return str(row[0]), row[1]

    def row(self, mid: str) -> dict[str, Any]:
        with self.store.session() as s:
            return s.fetch_dicts(
                "SELECT * FROM messages WHERE message_id = ?", [mid], step="test.row"
            )[0]

    def events(self, mid: str) -> list[str]:
        with self.store.session() as s:
            rows = s.fetchall(
                "SELECT status FROM message_events WHERE message_id = ? ORDER BY happened_at",
                [mid],
                step="test.events",
            )
        return [str(r[0]) for r in rows]

    def set_policy(self, raw: dict[str, Any]) -> None:
        policy = check_policy(raw, ["email", "sms", "push", "web", "in_app", "webhook"])
        with self.store.session() as s, s.transaction():
            save_policy(s, policy, now=T)

    def point_email_at(self, port: int) -> None:
        config = {
            "host": "127.0.0.1",
            "port": port,
            "from_address": "shop@example.vn",
            "timeout_s": 2,
        }
        with self.store.session() as s, s.transaction():
            save_config(s, "email", config, now=T, allow=LOOPBACK)


@pytest.fixture
def world(workspace: Workspace) -> Iterator[World]:
    mail, port = Mailbox(), free_port()
    controller = Controller(mail, hostname="127.0.0.1", port=port)
    controller.start()
    gateway = Gateway().start()
    store = open_store(workspace.settings)
    settings = workspace.settings.model_copy(update={"outbound_allow": LOOPBACK})
    w = World(store, workspace, Outbox(store, settings, Clock()), mail, gateway, port)
    w.point_email_at(port)
    with store.session() as s, s.transaction():
        provider = {"url": gateway.url, "provider_id_path": "data.id"}
        save_config(s, "sms", {"provider": provider, "sender": "SHOP"}, now=T, allow=LOOPBACK)
    try:
        yield w
    finally:
        store.close()
        controller.stop()
        assert gateway.server is not None
        gateway.server.shutdown()
        gateway.server.server_close()


def test_default_policy_is_the_documented_one(world: World) -> None:
    with world.store.session() as s:
        policy = read_policy(s)
    assert [(c.channel, c.max, c.per) for c in policy.caps] == [
        ("email", 2, "7d"),
        ("sms", 1, "1d"),
        ("*", 5, "7d"),
    ]
    assert policy.timezone == "Asia/Ho_Chi_Minh" and policy.quiet_hours is not None


def test_at_most_two_marketing_emails_a_week(world: World) -> None:
    world.person("lan")
    for day, mid in enumerate(("e1", "e2", "e3")):
        world.queue(mid, "lan", "email", due=T + timedelta(days=day))
        world.dispatch(T + timedelta(days=day))
    assert world.mail.ids() == ["e1", "e2"]
    assert world.status("e3") == ("suppressed", "frequency cap: at most 2 email messages per 7d")
    assert world.events("e3") == ["suppressed"]
    # A week after the first one the window has room again (e2 still counts: one more).
    world.queue("e4", "lan", "email", due=T + timedelta(days=7, hours=1))
    world.queue("e5", "lan", "email", due=T + timedelta(days=7, hours=1))
    result = world.dispatch(T + timedelta(days=7, hours=1))
    assert (result.sent, result.suppressed) == (1, 1)
    assert world.mail.ids() == ["e1", "e2", "e4"]
    assert world.mail.messages[0]["To"] == "lan@example.vn"
    assert "Lan" in str(world.mail.messages[0]["Subject"])


def test_at_most_one_sms_a_day(world: World) -> None:
    world.person("minh", phone="+84912345678")
    world.queue("s1", "minh", "sms")
    world.queue("s2", "minh", "sms", due=T + timedelta(hours=2))
    world.dispatch(T)
    world.dispatch(T + timedelta(hours=2))
    assert world.status("s1")[0] == "sent"
    assert world.status("s2") == ("suppressed", "frequency cap: at most 1 sms messages per 1d")
    world.queue("s3", "minh", "sms", due=T + timedelta(days=1, minutes=1))
    world.dispatch(T + timedelta(days=1, minutes=1))
    assert world.gateway.ids() == ["s1", "s3"]
    assert world.gateway.bodies[0]["to"] == "+84912345678"
    assert world.row("s3")["provider_id"] == "gw-2"


def test_at_most_five_messages_a_week_across_channels(world: World) -> None:
    world.person("lan", phone="+84912345679")
    plan = [  # (day, message, channel): the per-channel caps allow each of the first five
        (0, "e1", "email"),
        (0, "s1", "sms"),
        (1, "e2", "email"),
        (1, "s2", "sms"),
        (2, "w1", "in_app"),
        (3, "w2", "in_app"),
        (3, "s3", "sms"),
    ]
    for day, mid, channel in plan:
        world.queue(mid, "lan", channel, due=T + timedelta(days=day))
    for day in range(4):
        world.dispatch(T + timedelta(days=day))
    sent = [mid for _, mid, _ in plan if world.status(mid)[0] == "sent"]
    assert sent == ["e1", "s1", "e2", "s2", "w1"]
    for mid in ("w2", "s3"):
        assert world.status(mid) == ("suppressed", "frequency cap: at most 5 messages per 7d")
    # Another person is not affected by Lan's count.
    world.person("minh")
    world.queue("m1", "minh", "in_app", due=T + timedelta(days=3))
    world.dispatch(T + timedelta(days=3))
    assert world.status("m1")[0] == "sent"


def test_the_higher_priority_message_wins_when_caps_bite(world: World) -> None:
    world.person("lan")
    for mid, priority in (("low", -5), ("high", 50), ("mid", 10), ("zero", 0)):
        world.queue(mid, "lan", "email", priority=priority)
    result = world.dispatch(T)
    assert (result.sent, result.suppressed) == (2, 2)
    assert sorted(world.mail.ids()) == ["high", "mid"]
    assert world.status("low")[0] == world.status("zero")[0] == "suppressed"


def test_transactional_messages_are_not_capped_nor_held_at_night(world: World) -> None:
    world.person("lan")
    for mid in ("t1", "t2", "t3"):
        world.queue(mid, "lan", "email", category="transactional")
    world.dispatch(T)
    assert world.mail.ids() == ["t1", "t2", "t3"]
    # They do not use up the marketing allowance either.
    world.queue("m1", "lan", "email")
    world.queue("m2", "lan", "email")
    world.dispatch(T)
    assert sorted(world.mail.ids()[3:]) == ["m1", "m2"]
    # 23:00 in Ho Chi Minh City: an order confirmation still goes at once.
    night = datetime(2025, 3, 3, 16, 0, tzinfo=UTC)
    world.queue("t4", "lan", "email", category="transactional", due=night)
    world.dispatch(night)
    assert world.status("t4")[0] == "sent"


def test_quiet_hours_follow_each_persons_time_zone(world: World) -> None:
    world.person("lan")  # no time-zone trait: the policy's Asia/Ho_Chi_Minh
    world.person("pierre", timezone="Europe/Paris")
    world.person("odd", timezone="America")  # not a zone (a directory): the default applies
    night_vn = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)  # 22:00 in HCMC, 16:00 in Paris
    for mid, pid, channel in (
        ("lan-e", "lan", "email"),
        ("pierre-e", "pierre", "email"),
        ("odd-e", "odd", "email"),
        ("lan-w", "lan", "in_app"),
    ):
        world.queue(mid, pid, channel, due=night_vn)
    result = world.dispatch(night_vn)
    assert (result.sent, result.deferred) == (2, 2)
    assert world.mail.ids() == ["pierre-e"]
    assert world.status("lan-w")[0] == "sent"  # in-app is not in the quiet channels
    morning_vn = datetime(2025, 3, 4, 1, 0, tzinfo=UTC)  # 08:00 in HCMC
    for mid in ("lan-e", "odd-e"):
        assert world.status(mid) == ("queued", "quiet hours")
        assert world.row(mid)["due_at"] == morning_vn
    world.dispatch(morning_vn - timedelta(seconds=1))
    assert world.mail.ids() == ["pierre-e"]
    world.dispatch(morning_vn)
    assert sorted(world.mail.ids()) == ["lan-e", "odd-e", "pierre-e"]
    # The other way round: 10:00 in HCMC is 04:00 in Paris, so Pierre waits until 08:00 there.
    day_vn = datetime(2025, 3, 5, 3, 0, tzinfo=UTC)
    world.queue("lan-2", "lan", "email", due=day_vn)
    world.queue("pierre-2", "pierre", "email", due=day_vn)
    world.dispatch(day_vn)
    assert world.status("lan-2")[0] == "sent"
    assert world.status("pierre-2") == ("queued", "quiet hours")
    assert world.row("pierre-2")["due_at"] == datetime(2025, 3, 5, 7, 0, tzinfo=UTC)
    world.dispatch(datetime(2025, 3, 5, 7, 0, tzinfo=UTC))
    assert world.status("pierre-2")[0] == "sent"


def test_quiet_until_across_daylight_saving_and_hostile_zones() -> None:
    policy = check_policy({}, ["email", "sms", "push", "in_app"])
    # 23:30 in Paris the night summer time starts: 08:00 (CEST) the next day is 06:00 UTC.
    night = datetime(2025, 3, 29, 22, 30, tzinfo=UTC)
    assert quiet_until(policy, "email", night, "Europe/Paris") == datetime(
        2025, 3, 30, 6, 0, tzinfo=UTC
    )
    morning_vn = datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # it is 05:30 in HCMC
    assert quiet_until(policy, "email", night, None) == morning_vn
    for zone in ("America", "x" * 300, "Asia/Ho_Chi_Minh\x00", "../../etc/passwd", "", "7"):
        assert quiet_until(policy, "sms", night, zone) == morning_vn, zone
    assert quiet_until(policy, "in_app", night, None) is None
    assert quiet_until(policy, "email", datetime(2025, 3, 30, 3, 0, tzinfo=UTC), None) is None


def test_withdrawn_consent_suppresses_that_channel_only(world: World) -> None:
    world.person("lan", phone="+84912345678")
    set_consent(world.store, world.workspace.settings, "lan", {"email": False}, actor="test")
    for mid, channel in (("e1", "email"), ("s1", "sms"), ("w1", "in_app")):
        world.queue(mid, "lan", channel)
    world.queue("t1", "lan", "email", category="transactional")
    world.dispatch(T)
    assert world.status("e1") == ("suppressed", "no consent for email")
    assert world.events("e1") == ["suppressed"]
    assert world.status("s1")[0] == world.status("w1")[0] == "sent"
    assert world.mail.ids() == ["t1"]  # a receipt is not marketing: consent does not apply


def test_required_consent_needs_a_recorded_grant(world: World) -> None:
    world.set_policy({"require_consent": True})
    world.person("lan", phone="+84912345678")
    world.person("minh", phone="+84912345670")
    set_consent(world.store, world.workspace.settings, "minh", {"sms": True}, actor="test")
    world.queue("lan-s", "lan", "sms")
    world.queue("minh-s", "minh", "sms")
    world.dispatch(T)
    assert world.status("lan-s") == ("suppressed", "no consent for sms")
    assert world.gateway.ids() == ["minh-s"]


def test_suppression_list_is_honoured_for_every_category(world: World) -> None:
    world.person("lan")
    world.person("minh")
    with world.store.session() as s, s.transaction():
        s.execute(
            "INSERT INTO suppressions VALUES ('email', 'lan@example.vn', 'unsubscribed', 'lan', ?)",
            [T],
            step="test.suppress",
        )
    world.queue("m", "lan", "email")
    world.queue("t", "lan", "email", category="transactional")
    world.queue("ok", "minh", "email")
    world.dispatch(T)
    assert world.status("m") == ("suppressed", "suppressed: unsubscribed")
    assert world.status("t") == ("suppressed", "suppressed: unsubscribed")
    assert world.mail.ids() == ["ok"]


def test_no_address_is_suppressed_with_the_reason(world: World) -> None:
    world.person("lan")  # no phone
    world.queue("s", "lan", "sms")
    world.dispatch(T)
    assert world.status("s") == ("suppressed", "no phone for this person")


def test_smtp_down_is_retried_with_backoff_then_dead(world: World) -> None:
    world.person("lan")
    world.person("minh")
    down = free_port()  # nothing listens here
    world.point_email_at(down)
    world.queue("e", "lan", "email")
    world.queue("w", "minh", "in_app")
    result = world.dispatch(T)
    assert (result.sent, result.retried) == (1, 1)
    assert world.status("w")[0] == "sent"  # Minh is not held up by Lan's failing e-mail
    now, delays = T, []
    for attempt in range(1, DEFAULT_MAX_ATTEMPTS):
        row = world.row("e")
        assert (row["status"], row["attempts"]) == ("queued", attempt)
        assert "unreachable" in row["last_error"] or "refused" in row["last_error"].lower()
        delay = (row["due_at"] - now).total_seconds()
        assert 0 <= delay <= DEFAULT_BASE_S * 2 ** (attempt - 1), (attempt, delay)
        delays.append(delay)
        if delay > 0:  # not due a moment before its time
            assert world.dispatch(row["due_at"] - timedelta(milliseconds=1)).claimed == 0
        now = row["due_at"]
        world.dispatch(now)
    row = world.row("e")
    assert (row["status"], row["attempts"]) == ("dead", DEFAULT_MAX_ATTEMPTS)
    assert world.events("e") == ["retry"] * (DEFAULT_MAX_ATTEMPTS - 1) + ["dead"]
    assert [d.message_id for d in list_dead(world.store)] == ["e"]
    assert world.dispatch(now + timedelta(days=1)).claimed == 0  # dead stays dead
    # The server is back: a replay sends it, once.
    world.point_email_at(world.smtp_port)
    replay(world.store, "e", now=now + timedelta(hours=1))
    world.dispatch(now + timedelta(hours=1))
    assert world.status("e")[0] == "sent" and world.mail.ids() == ["e"]


def test_a_failing_gateway_does_not_hold_up_email(world: World) -> None:
    world.person("lan", phone="+84912345678")
    world.person("minh")
    with world.store.session() as s, s.transaction():
        provider = {"url": f"http://127.0.0.1:{free_port()}/sms", "timeout_s": 1}
        save_config(s, "sms", {"provider": provider}, now=T, allow=LOOPBACK)
    world.queue("s", "lan", "sms")
    world.queue("e", "minh", "email")
    result = world.dispatch(T)
    assert (result.sent, result.retried) == (1, 1)
    assert world.mail.ids() == ["e"]
    assert world.status("s")[0] == "queued" and world.events("s") == ["retry"]
