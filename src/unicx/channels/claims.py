"""Claiming a batch of due messages: what the policy needs to know about their people and
what each message becomes (sending, suppressed, failed, or queued until after quiet hours).

Split from the outbox, which runs the claim in one transaction and sends what it claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from unicx.channels import policy as pol
from unicx.channels.base import get_channel
from unicx.store import Session

# One row of DECISION_SCHEMA: message_id, status, reason, due_at, address, attempts added.
Decision = tuple[Any, ...]
_TS = pa.timestamp("us", tz="UTC")
DECISION_SCHEMA = pa.schema(
    [
        ("message_id", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("due_at", _TS),
        ("address", pa.string()),
        ("attempts", pa.int32()),
    ]
)


@dataclass
class Claimed:
    row: dict[str, Any]
    address: str


def decide(
    s: Session, rows: list[dict[str, Any]], policy: pol.MessagingPolicy, now: datetime
) -> tuple[list[Decision], list[Claimed]]:
    facts = Facts.load(s, rows, policy, now)
    caps = pol.CapCounter(policy, facts.history)
    decisions: list[Decision] = []
    claimed: list[Claimed] = []
    for row in rows:  # already by priority: higher priority claims the cap first
        mid, channel, pid = row["message_id"], row["channel"], row["profile_id"]
        cls = get_channel(channel)
        if cls is None:
            decisions.append((mid, "failed", f"unknown channel {channel!r}", None, None, 0))
            continue
        address = row["address"] or facts.address(pid, cls.address_kind)
        if not address:
            reason = f"no {cls.address_kind} for this person"
            decisions.append((mid, "suppressed", reason, None, None, 0))
            continue
        if (channel, address) in facts.suppressed:
            reason = f"suppressed: {facts.suppressed[(channel, address)]}"
            decisions.append((mid, "suppressed", reason, None, address, 0))
            continue
        if row["category"] == "marketing":
            purpose = pol.PURPOSE.get(channel)
            if pol.consent_blocks(policy, channel, facts.consent.get((pid, purpose or ""))):
                reason = f"no consent for {purpose}"
                decisions.append((mid, "suppressed", reason, None, address, 0))
                continue
            later = pol.quiet_until(policy, channel, now, facts.timezone.get(pid))
            if later is not None:
                decisions.append((mid, "queued", "quiet hours", later, address, 0))
                continue
            rule = caps.blocking_rule(pid, channel, now)
            if rule is not None:
                reason = f"frequency cap: {rule.label()}"
                decisions.append((mid, "suppressed", reason, None, address, 0))
                continue
            caps.add(pid, channel, now)
        decisions.append((mid, "sending", None, None, address, 1))
        claimed.append(Claimed({**row, "attempts": row["attempts"] + 1}, address))
    return decisions, claimed


def write_decisions(s: Session, decisions: list[Decision], now: datetime) -> None:
    if not decisions:
        return
    columns = list(zip(*decisions, strict=True))
    table = pa.table(
        [pa.array(c, type=f.type) for c, f in zip(columns, DECISION_SCHEMA, strict=True)],
        schema=DECISION_SCHEMA,
    )
    s.register("ob_decisions", table)
    try:
        s.execute(
            "UPDATE messages SET status = d.status, reason = d.reason, "
            "due_at = coalesce(d.due_at, messages.due_at), "
            "address = coalesce(d.address, messages.address), "
            "attempts = messages.attempts + d.attempts, updated_at = $now "
            "FROM ob_decisions d WHERE messages.message_id = d.message_id",
            {"now": now},
            step="outbox.decide",
        )
        if any(d[1] in ("suppressed", "failed") for d in decisions):
            # Only then: the join scans the whole messages table.
            s.execute(
                "INSERT INTO message_events SELECT d.message_id, m.profile_id, m.channel, "
                "d.status, $now, json_object('reason', d.reason) FROM ob_decisions d "
                "JOIN messages m USING (message_id) "
                "WHERE d.status IN ('suppressed', 'failed')",
                {"now": now},
                step="outbox.decide_log",
            )
    finally:
        s.unregister("ob_decisions")


@dataclass
class Facts:
    consent: dict[tuple[str, str], bool | None]
    addresses: dict[tuple[str, str], str]
    suppressed: dict[tuple[str, str], str]
    timezone: dict[str, str]
    history: list[tuple[str, str, datetime]]

    def address(self, profile_id: str, kind: str) -> str | None:
        if kind == "profile":
            return profile_id
        return self.addresses.get((profile_id, kind))

    @classmethod
    def load(
        cls, s: Session, rows: list[dict[str, Any]], policy: pol.MessagingPolicy, now: datetime
    ) -> Facts:
        """What the policy needs about the people of ``rows``. Each query scans a whole table
        (no index on profile_id), and the dispatcher claims as often as a sending thread frees
        up: what a batch cannot use is not read (consent, time zones and caps are for marketing
        only)."""
        p = {"ids": sorted({r["profile_id"] for r in rows})}
        marketing = any(r["category"] == "marketing" for r in rows)
        consent = _consents(s, p) if marketing else {}
        addresses, timezone = _addresses_and_timezones(s, p)
        # A message goes to its row's address or the person's address found above: only those
        # can be looked up in ``suppressed``, so only those are read (no scan of identities).
        candidates = sorted({*addresses.values(), *(r["address"] for r in rows if r["address"])})
        suppressed = _suppressed(s, p, candidates)
        history: list[tuple[str, str, datetime]] = []
        if marketing and policy.caps:
            history = _cap_history(s, p, since=now - pol.CapCounter.longest(policy))
        return cls(consent, addresses, suppressed, timezone, history)


Ids = dict[str, list[str]]


def _consents(s: Session, p: Ids) -> dict[tuple[str, str], bool | None]:
    return {
        (str(a), str(b)): c
        for a, b, c in s.fetchall(
            "SELECT profile_id, purpose, granted FROM consents "
            "WHERE profile_id IN (SELECT unnest($ids::VARCHAR[]))",
            p,
            step="outbox.consents",
        )
    }


def _addresses_and_timezones(
    s: Session, p: Ids
) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    addresses = {
        (str(a), str(b)): str(c)
        for a, b, c in s.fetchall(
            "SELECT profile_id, id_type, arg_max(id_value, last_seen) FROM identities "
            "WHERE profile_id IN (SELECT unnest($ids::VARCHAR[])) "
            "AND id_type IN ('email', 'phone', 'push_token') GROUP BY ALL",
            p,
            step="outbox.addresses",
        )
    }
    timezone: dict[str, str] = {}
    for a, name, v in s.fetchall(  # one scan for both traits
        "SELECT profile_id, name, any_value(value ->> '$') FROM profile_traits "
        "WHERE name IN ('push_token', 'timezone') "
        "AND profile_id IN (SELECT unnest($ids::VARCHAR[])) GROUP BY ALL",
        p,
        step="outbox.push_tokens_timezones",
    ):
        if name == "push_token":
            addresses.setdefault((str(a), "push_token"), str(v))
        elif v:
            timezone[str(a)] = str(v)
    return addresses, timezone


def _suppressed(s: Session, p: Ids, candidates: list[str]) -> dict[tuple[str, str], str]:
    return {
        (str(c), str(a)): str(r)
        for c, a, r in s.fetchall(
            "SELECT channel, address, reason FROM suppressions "
            "WHERE address IN (SELECT unnest($addresses::VARCHAR[])) "
            "OR profile_id IN (SELECT unnest($ids::VARCHAR[]))",
            {**p, "addresses": candidates},
            step="outbox.suppressed",
        )
    }


def _cap_history(s: Session, p: Ids, *, since: datetime) -> list[tuple[str, str, datetime]]:
    return [
        (str(a), str(b), c)
        for a, b, c in s.fetchall(
            "SELECT profile_id, channel, coalesce(sent_at, updated_at) FROM messages "
            "WHERE category = 'marketing' AND status IN ('sending', 'handed_over', "
            "'sent', 'delivered') AND coalesce(sent_at, updated_at) > $since "
            "AND profile_id IN (SELECT unnest($ids::VARCHAR[]))",
            {**p, "since": since},
            step="outbox.cap_history",
        )
    ]
