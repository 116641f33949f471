"""Journeys and messaging at scale (issue 6): N people entering a 6-node journey.

    .venv/bin/python bench/journeys.py                    # 100,000 people, ~6 minutes
    .venv/bin/python bench/journeys.py --people 10000     # a quick run

A fresh workspace in a temp directory: N profiles written directly (bulk SQL, what identity
resolution would produce), each with a user id, an e-mail address, a first name and a granted
e-mail consent; the segment "has e-mail" (everyone) and the journey

    wait 1h -> condition (consent email) -> e-mail (marketing) -> wait for "Email Opened",
    timeout 12h -> set_trait -> exit

published through JourneyService (segment entry: every member enters). The messaging policy
has no quiet hours (the bench runs at any hour) and its default caps. Three measurements:

1. Scheduler: ``JourneyEngine.tick`` driven with an injected clock moved past each wait until
   every run is done; steps/s = journey_steps rows / wall time of the ticks. Baseline in the
   same run: the same journey and driver in a second workspace of ``--baseline-people`` with
   ``journey_batch=1`` (one person per transaction).
2. E-mail: ``Outbox.dispatch(pool=ThreadPoolExecutor(send_workers))`` on the N messages the
   scheduler queued until ``--emails`` of them were sent (0: the queue is empty), to an
   aiosmtpd server in a subprocess on 127.0.0.1 (which counts what it received). Baseline:
   plain smtplib, a new connection per message, one thread, to the same server,
   ``--baseline-emails`` messages (median of ``--repeat``).
3. Lag: the real runtime (``unicx.runtime.chain.MessagingWorkers``: journey thread, outbox
   scout, delivery lanes and their senders, real clock) with the N runs' 1 h waits re-timed to
   end spread evenly over ``--window`` seconds. Lag of a run = when the transaction that moved
   it past its wait committed - its due time (the step's ``happened_at`` is the tick's start,
   which hides the batch's own time: both are shown). Then again without the scout and lanes:
   the journey thread alone, which tells the scheduler's own lag from the competition with
   the sending threads for the 2 cores.
"""

from __future__ import annotations

import argparse
import json
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.helpers: free_port

from tests.helpers import LOOPBACK, free_port

from unicx.channels import builtin  # noqa: F401 (registers the channels)
from unicx.channels.config import save_config
from unicx.channels.lanes import DISPATCH_BATCH
from unicx.channels.outbox import DispatchResult, Outbox
from unicx.channels.policy import MessagingPolicy, save_policy
from unicx.channels.tracking import links_for
from unicx.clock import Clock
from unicx.config import Settings, load_settings
from unicx.journeys.runtime import Messaging
from unicx.journeys.service import JourneyService
from unicx.journeys.worker import JourneyEngine, TickResult
from unicx.runtime.chain import MessagingWorkers
from unicx.segments.models import SegmentCreate
from unicx.segments.service import SegmentService
from unicx.store import Session, Store
from unicx.workspace import init_workspace, open_store

JOURNEY: dict[str, Any] = {
    "name": "Bench welcome",
    "entry": {"type": "segment", "segment": "Has e-mail"},
    "start": "wait_1h",
    "nodes": {
        "wait_1h": {"type": "wait", "for": "1h", "next": "mailable", "stage": "intent"},
        "mailable": {
            "type": "condition",
            "condition": {"consent": "email"},
            "yes": "email",
            "no": "tag",
        },
        "email": {
            "type": "message",
            "channel": "email",
            "stage": "intent",
            "content": {
                "subject": "{{ traits.first_name | default('bạn') }} ơi, chào mừng",
                "html": "<p>Chào {{ traits.first_name }},</p><p>Cảm ơn bạn đã đăng ký.</p>"
                '<p><a href="https://shop.example.vn/welcome">Xem ưu đãi</a></p>',
            },
            "next": "wait_open",
        },
        "wait_open": {
            "type": "wait",
            "event": {"event": "Email Opened"},
            "timeout": "12h",
            "next": "tag",
            "timeout_next": "tag",
        },
        "tag": {"type": "set_trait", "trait": "welcomed", "value": True, "next": "done"},
        "done": {"type": "exit"},
    },
}
NAMES = ["Lan", "Minh", "Hùng", "Thảo", "Dũng", "Ngọc", "Tuấn", "Hương"]

# The SMTP server, a separate process so it does not compete with the sender for the GIL.
SMTP_SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
print(Count.n, flush=True)
"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the workspace --------------------------------------------------------------------------
def build(path: Path, people: int, *, smtp_port: int, batch: int, now: datetime) -> Settings:
    # The stand-in SMTP server is on loopback, which outbound connections refuse by default.
    settings = load_settings(workspace=path, journey_batch=batch, outbound_allow=LOOPBACK)
    init_workspace(settings)
    store = open_store(settings)
    try:
        with store.session() as s, s.transaction():
            p = {"n": people, "now": now}
            s.execute(
                "INSERT INTO profiles SELECT 'p' || i, $now, $now FROM range($n) r(i)",
                p,
                step="bench.profiles",
            )
            s.execute(
                "INSERT INTO identities SELECT 'user_id', 'u' || i, 'p' || i, $now, $now "
                "FROM range($n) r(i) UNION ALL SELECT 'email', 'u' || i || '@example.vn', "
                "'p' || i, $now, $now FROM range($n) r(i)",
                p,
                step="bench.identities",
            )
            s.execute(
                "INSERT INTO consents SELECT 'p' || i, 'email', true, $now, 'bench' "
                "FROM range($n) r(i)",
                p,
                step="bench.consents",
            )
            s.execute(
                "INSERT INTO profile_traits SELECT 'p' || i, 'first_name', "
                "to_json($names[1 + i % 8]), $now FROM range($n) r(i)",
                {**p, "names": NAMES},
                step="bench.traits",
            )
            save_policy(s, MessagingPolicy(quiet_hours=None), now=now)
            save_config(
                s,
                "email",
                {"host": "127.0.0.1", "port": smtp_port, "from_address": "shop@example.vn"},
                now=now,
                allow=settings.outbound_allow,
            )
        SegmentService(store, settings).create(
            SegmentCreate(name="Has e-mail", definition={"has": "email"}), now=now
        )
        with store.session() as s:
            # Created here, before the first concurrent sends: created by several sending
            # threads at once, all but one fail (a race in tracking._secret, reported).
            links_for(s, settings, "bench")
        journeys = JourneyService(store)
        jid = journeys.create(JOURNEY, now=now).journey_id
        journeys.publish(jid, now=now)
    finally:
        store.close()
    return settings


def count(s: Session, sql: str, params: Any = None) -> int:
    row = s.fetchone(sql, params, step="bench.count")
    return int(row[0]) if row else 0


# -- 1. scheduler ---------------------------------------------------------------------------
def drain(engine: JourneyEngine, total: TickResult) -> None:
    """Tick until nothing is due at the clock's now (a tick stops after 2 s of batches)."""
    while True:
        r = engine.tick()
        total.entered += r.entered
        total.steps += r.steps
        total.messages += r.messages
        total.runs_advanced += r.runs_advanced
        if r.runs_advanced == 0 and r.entered == 0:
            return


def scheduler(store: Store, settings: Settings, clock: Clock) -> dict[str, Any]:
    engine = JourneyEngine(store, settings, clock)
    total = TickResult()
    started = time.perf_counter()
    drain(engine, total)  # entry, then everyone waits 1 h
    clock.advance(timedelta(hours=1, seconds=1))
    drain(engine, total)  # condition, e-mail queued, wait for an open
    clock.advance(timedelta(hours=12, seconds=1))
    drain(engine, total)  # timeout, set_trait, exit
    seconds = time.perf_counter() - started
    with store.session() as s:
        steps = count(s, "SELECT count(*) FROM journey_steps")
        active = count(s, "SELECT count(*) FROM journey_runs WHERE status = 'active'")
        runs = count(s, "SELECT count(*) FROM journey_runs")
        queued = count(s, "SELECT count(*) FROM messages WHERE status = 'queued'")
        traits = count(s, "SELECT count(*) FROM events WHERE type = 'identify'")
    if active:
        raise AssertionError(f"{active} runs still active after the last wait")
    return {
        "runs": runs,
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": steps / seconds,
        "queued": queued,
        "trait_events": traits,
    }


# -- 2. e-mail ------------------------------------------------------------------------------
class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SMTP_SERVER, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the SMTP server did not start")

    def stop(self) -> int:
        """Stop it; returns how many messages it accepted."""
        out, _ = self.proc.communicate("", timeout=30)
        return int(out.strip().splitlines()[-1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def emails(store: Store, settings: Settings, clock: Clock, limit: int) -> dict[str, Any]:
    """Dispatch the queue the scheduler filled until it is empty, or ``limit`` were sent."""
    outbox = Outbox(store, settings, clock)
    total = DispatchResult()
    with store.session() as s:
        queued = count(s, "SELECT count(*) FROM messages WHERE status = 'queued'")
    wanted = min(limit or queued, queued)
    with ThreadPoolExecutor(settings.send_workers) as pool:
        started = time.perf_counter()
        while total.sent < wanted:
            r = outbox.dispatch(limit=DISPATCH_BATCH, pool=pool)
            for name in ("claimed", "sent", "retried", "failed", "suppressed", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(r, name))
            if r.claimed == 0:
                break
        seconds = time.perf_counter() - started
    with store.session() as s:
        left = count(s, "SELECT count(*) FROM messages WHERE status = 'queued'")
    if total.sent < wanted or total.claimed != total.sent or left != queued - total.sent:
        raise AssertionError(f"{queued} queued, {total.sent} sent, {left} left: {total}")
    return {"sent": total.sent, "queued": queued, "seconds": seconds,
            "per_s": total.sent / seconds}  # fmt: skip


def smtplib_baseline(port: int, n: int) -> dict[str, Any]:
    """The naive sender: build the message, connect, send, quit, for each message."""
    started = time.perf_counter()
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = "shop@example.vn"
        msg["To"] = f"u{i}@example.vn"
        msg["Subject"] = f"{NAMES[i % 8]} ơi, chào mừng"
        msg.set_content("Cảm ơn bạn đã đăng ký.")
        msg.add_alternative(
            f"<p>Chào {NAMES[i % 8]},</p><p>Cảm ơn bạn đã đăng ký.</p>", subtype="html"
        )
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
            conn.send_message(msg)
    seconds = time.perf_counter() - started
    return {"sent": n, "seconds": seconds, "per_s": n / seconds}


# -- 3. lag ---------------------------------------------------------------------------------
def lag(store: Store, settings: Settings, window: float, *, dispatch: bool) -> dict[str, Any]:
    """Everyone back at the start (runs, steps, messages, cursors emptied), entered and
    waiting 1 h at the real time; their waits re-timed to end over ``window`` seconds.
    ``dispatch=False``: the dispatcher thread is not started (the journey thread alone, to
    tell the scheduler's own lag from the competition for the 2 cores)."""
    with store.session() as s, s.transaction():
        for table in ("journey_runs", "journey_steps", "journey_cursors", "messages",
                      "message_events"):  # fmt: skip
            s.execute(f"DELETE FROM {table}", step="bench.reset")
    engine = JourneyEngine(store, settings, Clock())
    drain(engine, TickResult())
    start = datetime.now(UTC) + timedelta(seconds=3)
    with store.session() as s, s.transaction():
        n = count(s, "SELECT count(*) FROM journey_runs WHERE node_id = 'wait_1h'")
        s.execute(
            "UPDATE journey_runs SET due_at = $start + to_microseconds(o.k * $us // $n) "
            "FROM (SELECT run_id, row_number() OVER (ORDER BY hash(run_id)) - 1 AS k "
            "FROM journey_runs WHERE node_id = 'wait_1h') o "
            "WHERE journey_runs.run_id = o.run_id",
            {"start": start, "us": int(window * 1e6), "n": n},
            step="bench.retime",
        )
        due = {
            str(r): d
            for r, d in s.fetchall("SELECT run_id, due_at FROM journey_runs", step="bench.due")
        }
    messaging = Messaging(store, settings, Clock())
    commits: list[tuple[datetime, datetime, int]] = []  # (committed, tick now, runs)
    due_batch = messaging.engine._due_batch

    def timed(s: Session, now: datetime, result: TickResult) -> int:
        advanced = due_batch(s, now, result)
        commits.append((datetime.now(UTC), now, advanced))
        return advanced

    messaging.engine._due_batch = timed  # type: ignore[method-assign]
    workers = MessagingWorkers(messaging)
    parts = workers.parts()
    if not dispatch:  # the journey thread alone: no scout, no delivery lanes
        senders = [workers.scout, *workers.lanes.values()]
        parts = [p for p in parts if p not in senders]
    for part in parts:
        part.start()
    try:
        deadline = time.monotonic() + window + 120
        while time.monotonic() < deadline:
            time.sleep(0.5)
            with store.session() as s:
                left = count(s, "SELECT count(*) FROM journey_runs WHERE node_id = 'wait_1h'")
            if left == 0:
                break
        finished = datetime.now(UTC)
    finally:
        for part in reversed(parts):
            part.stop()
    with store.session() as s:
        rows = s.fetchall(
            "SELECT run_id, happened_at FROM journey_steps WHERE node_id = 'wait_1h' "
            "AND outcome = 'waited'",
            step="bench.waited",
        )
        sent = count(s, "SELECT count(*) FROM messages WHERE status = 'sent'")
    by_tick: dict[datetime, list[str]] = {}
    for run_id, happened in rows:
        by_tick.setdefault(happened, []).append(str(run_id))
    committed: list[float] = []
    for todo in by_tick.values():
        todo.sort(key=lambda r: (due[r], r))
    for at, now, advanced in commits:  # a tick's batches take its due runs by due time
        todo = by_tick.get(now, [])
        batch, by_tick[now] = todo[:advanced], todo[advanced:]
        committed += [(at - due[r]).total_seconds() for r in batch]
    return {
        "runs": n,
        "moved": len(rows),
        "window": window,
        "happened": quantiles([(h - due[str(r)]).total_seconds() for r, h in rows]),
        "committed": quantiles(committed),
        "sent_during": sent,
        "drained_s": (finished - start).total_seconds(),
    }


def quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {"p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": ordered[-1]}


# -- the report -----------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument(
        "--baseline-people",
        type=int,
        default=300,
        help="people of the journey_batch=1 baseline (about 100 steps/s)",
    )
    ap.add_argument(
        "--emails",
        type=int,
        default=10_000,
        help="e-mails to send of the N queued (0: all, ~15 min at 100/s)",
    )
    ap.add_argument("--baseline-emails", type=int, default=500)
    ap.add_argument("--window", type=float, default=25.0, help="seconds the waits end over")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the smtplib baseline")
    args = ap.parse_args()
    smtp = SmtpServer()
    try:
        run(args, smtp)
    finally:
        smtp.kill()


def run(args: argparse.Namespace, smtp: SmtpServer) -> None:
    with tempfile.TemporaryDirectory(prefix="unicx-journeys-") as tmp:
        now = datetime.now(UTC)
        mark = time.perf_counter()
        settings = build(Path(tmp) / "main", args.people, smtp_port=smtp.port, batch=5000,
                         now=now)  # fmt: skip
        say(f"workspace of {args.people:,} people in {time.perf_counter() - mark:.1f} s")
        store = open_store(settings)
        try:
            clock = Clock()
            sched = scheduler(store, settings, clock)
            say(f"scheduler: {sched}")
            mail = emails(store, settings, clock, args.emails)
            say(f"e-mail: {mail}")
            lagged = lag(store, settings, args.window, dispatch=True)
            say(f"lag: {lagged}")
            alone = lag(store, settings, args.window, dispatch=False)
            say(f"lag, journey thread alone: {alone}")
        finally:
            store.close()
        base_settings = build(Path(tmp) / "base", args.baseline_people, smtp_port=smtp.port,
                              batch=1, now=now)  # fmt: skip
        base_store = open_store(base_settings)
        try:
            base = scheduler(base_store, base_settings, Clock())
            say(f"scheduler baseline (journey_batch=1): {base}")
        finally:
            base_store.close()
    naive = [smtplib_baseline(smtp.port, args.baseline_emails) for _ in range(args.repeat)]
    naive_rate = statistics.median(r["per_s"] for r in naive)
    say(f"smtplib baseline: {naive}")
    received = smtp.stop()
    expected = mail["sent"] + lagged["sent_during"] + args.baseline_emails * args.repeat
    if received != expected:
        raise AssertionError(f"the SMTP server received {received}, expected {expected}")
    c = lagged["committed"]
    rows = [
        ("scheduler steps/s", ">= 5,000", f"{sched['steps_per_s']:,.0f}",
         f"{sched['steps_per_s'] / base['steps_per_s']:.1f}x journey_batch=1 "
         f"({base['steps_per_s']:,.0f}/s)"),
        ("e-mail messages/s", ">= 200", f"{mail['per_s']:,.0f}",
         f"{mail['per_s'] / naive_rate:.1f}x smtplib, a connection each ({naive_rate:,.0f}/s)"),
        ("lag p99 (commit - due)", "<= 2 s", f"{c['p99']:.2f} s",
         f"p50 {c['p50']:.2f} s, p95 {c['p95']:.2f} s, max {c['max']:.2f} s"),
    ]  # fmt: skip
    print(f"\n{args.people:,} people, 6-node journey; {sched['steps']:,} steps in "
          f"{sched['seconds']:.1f} s; {mail['sent']:,} of {mail['queued']:,} queued e-mails in "
          f"{mail['seconds']:.1f} s; "
          f"{lagged['runs']:,} waits ending over {args.window:g} s\n")  # fmt: skip
    print("| figure | target | measured | baseline (same run) |")
    print("| --- | ---: | ---: | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    a = alone["committed"]
    print(
        f"\nlag with the journey thread alone (no dispatcher): p50 {a['p50']:.2f} s, "
        f"p95 {a['p95']:.2f} s, p99 {a['p99']:.2f} s, max {a['max']:.2f} s"
    )
    h = lagged["happened"]
    print(f"\nlag by happened_at (tick start - due): p50 {h['p50']:.2f} s, p95 {h['p95']:.2f} s, "
          f"p99 {h['p99']:.2f} s, max {h['max']:.2f} s; {lagged['sent_during']:,} e-mails sent "
          f"meanwhile; the SMTP server received {received:,}")  # fmt: skip
    out = {"people": args.people, "scheduler": sched, "scheduler_baseline": base,
           "email": mail, "email_baseline": naive, "lag": lagged, "lag_alone": alone}  # fmt: skip
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
