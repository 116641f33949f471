"""The SQL of offer outcomes and counters (personalize/outcomes.py), compared with reviewed
snapshots in tests/snapshots/personalize/ (see tests/sql_snapshots.py): one pass folding
outcome events in, and the counter and log reads whose column the reward metric picks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from tests.sql_snapshots import RecordingSession, assert_snapshot, snapshot_text
from unicx.personalize.outcomes import decision_log, load_stats, sync_outcomes
from unicx.store import Session

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _OutcomeSession(RecordingSession):
    """Answers the watermark (none yet) and the changed count (one), so a pass runs every
    statement, the counter updates included."""

    def fetchone(self, sql: str, params: Any = None, *, step: str) -> tuple[Any, ...]:
        self.sql.append(sql)
        return (None, 0) if step == "personalize.state" else (1,)


def _recorded(call: Callable[[Session], object]) -> str:
    recorder = _OutcomeSession()
    call(cast(Session, recorder))
    return ";\n".join(recorder.sql)


CASES: dict[str, Callable[[], str]] = {
    "sync_outcomes_pass": lambda: _recorded(lambda s: sync_outcomes(s, now=NOW)),
    **{
        f"load_stats_{reward}": (
            lambda reward=reward: _recorded(
                lambda s: load_stats(s, "home", ["o1", "o2"], "b1", reward=reward)
            )
        )
        for reward in ("click", "conversion")
    },
    **{
        f"decision_log_{reward}": (
            lambda reward=reward: _recorded(lambda s: decision_log(s, "home", reward=reward))
        )
        for reward in ("click", "conversion")
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_personalize_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("personalize", case, snapshot_text(CASES[case](), title=f"offers {case}"))
