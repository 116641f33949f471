"""Who a person is, for serving: their user/anonymous ids and personalization consent.

Held in memory (a scan of ``identities`` or ``consents`` per request costs milliseconds at 100k
people and grows with the workspace). Consents are reloaded within seconds of a change (see
live.py); a profile the map does not know yet (created since the load) is read from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from unicx.store import Session

IDS_SQL = """
SELECT profile_id, id_type, id_value FROM identities
WHERE id_type IN ('user_id', 'anonymous_id')
ORDER BY profile_id
"""
CONSENT_SQL = "SELECT profile_id, granted FROM consents WHERE purpose = 'personalization'"
Ids = tuple[tuple[str, ...], tuple[str, ...]]  # user ids, anonymous ids


@dataclass
class People:
    ids: dict[str, Ids] = field(default_factory=dict)
    consent: dict[str, bool] = field(default_factory=dict)

    def lookup(self, s: Session, profile_id: str) -> Ids | None:
        """The person's ids, None when no such profile exists."""
        known = self.ids.get(profile_id)
        if known is not None:
            return known
        if s.fetchone("SELECT 1 FROM profiles WHERE profile_id = ?", [profile_id],
                      step="recommend.profile") is None:  # fmt: skip
            return None
        rows = s.fetchall(
            "SELECT id_type, id_value FROM identities WHERE profile_id = ? "
            "AND id_type IN ('user_id', 'anonymous_id')",
            [profile_id],
            step="recommend.ids",
        )
        return _split([(str(t), str(v)) for t, v in rows])


def _split(rows: list[tuple[str, str]]) -> Ids:
    return (
        tuple(v for t, v in rows if t == "user_id"),
        tuple(v for t, v in rows if t == "anonymous_id"),
    )


def load_ids(s: Session) -> dict[str, Ids]:
    table = s.execute(IDS_SQL, step="recommend.people.ids").to_arrow_table()
    grouped: dict[str, list[tuple[str, str]]] = {}
    for pid, kind, value in zip(
        table["profile_id"].to_pylist(),
        table["id_type"].to_pylist(),
        table["id_value"].to_pylist(),
        strict=True,
    ):
        grouped.setdefault(pid, []).append((kind, value))
    # Profiles with only e-mail or phone identities exist too: present, with no event ids.
    for (pid,) in s.fetchall("SELECT profile_id FROM profiles", step="recommend.people.all"):
        grouped.setdefault(str(pid), [])
    return {pid: _split(rows) for pid, rows in grouped.items()}


def load_consent(s: Session) -> dict[str, bool]:
    return {str(p): bool(g) for p, g in s.fetchall(CONSENT_SQL, step="recommend.consents")}


def people_stamp(s: Session) -> tuple[object, ...]:
    row = s.fetchone(
        # Counts, not update times: every event touches a profile, new people and merges
        # change these.
        "SELECT (SELECT count(*) FROM profiles), (SELECT count(*) FROM identities)",
        step="recommend.people.stamp",
    )
    return tuple(row) if row else ()


def consent_stamp(s: Session) -> tuple[object, ...]:
    row = s.fetchone(
        "SELECT count(*), max(updated_at) FROM consents WHERE purpose = 'personalization'",
        step="recommend.consents.stamp",
    )
    return tuple(row) if row else ()
