"""The probes segments run to learn the workspace's vocabulary (segments/vocabulary.py),
compared with reviewed snapshots in tests/snapshots/segments/ (see tests/sql_snapshots.py):
trait types per source (with the time check of text traits) and the property types of an event.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from tests.sql_snapshots import RecordingSession, assert_snapshot, snapshot_text
from unicx.segments.vocabulary import Vocabulary, load, properties_of
from unicx.store import Session

_JSON_PROBES = {f"segments.vocab.{source}" for source in ("model", "computed", "profile")}


class _VocabSession(RecordingSession):
    """Answers the JSON-trait probes with one text trait, so its time check runs too (once:
    the first source holding a name wins)."""

    def fetchall(self, sql: str, params: Any = None, *, step: str) -> list[Any]:
        self.sql.append(sql)
        return [("signup", "VARCHAR")] if step in _JSON_PROBES else []

    def fetchone(self, sql: str, params: Any = None, *, step: str) -> tuple[Any, ...]:
        self.sql.append(sql)
        return (0, 0)


def _load_sql() -> str:
    recorder = _VocabSession()
    load(cast(Session, recorder))
    return ";\n".join(recorder.sql)


def _properties_sql(event: str) -> str:
    recorder = _VocabSession()
    properties_of(cast(Session, recorder), Vocabulary(), event)
    return ";\n".join(recorder.sql)


CASES = {
    "vocabulary_load": _load_sql,
    "vocabulary_properties_of_event": lambda: _properties_sql("Order Completed"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_vocabulary_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("segments", case, snapshot_text(CASES[case](), title=f"segments {case}"))
