"""The SQL writing a model run's outputs (predict/registry.py), compared with reviewed
snapshots in tests/snapshots/predict/ (see tests/sql_snapshots.py): the run record (an active
run supersedes the earlier one) and one insert per trait column of the model's output table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import pyarrow as pa
import pytest

from tests.sql_snapshots import RecordingSession, assert_snapshot, snapshot_text
from unicx.predict.registry import TrainResult, record_run, replace_traits
from unicx.store import Session

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class _CursorSession(RecordingSession):
    """Also stands in for the cursor an insert returns (its row count)."""

    def fetchone(self) -> tuple[Any, ...]:
        return (0,)


def _recorded(call: Callable[[Session], object]) -> str:
    recorder = _CursorSession()
    call(cast(Session, recorder))
    return ";\n".join(recorder.sql)


OUTPUTS = pa.table({"profile_id": ["p1"], "churn_risk": [0.4], "churn_band": ["low"]})
RUN = TrainResult(model="churn", version="v1", status="active", rows=1)
CASES: dict[str, Callable[[], str]] = {
    "record_active_run": lambda: _recorded(lambda s: record_run(s, RUN, now=NOW, params={})),
    "replace_model_traits": lambda: _recorded(
        lambda s: replace_traits(s, model="churn", version="v1", table=OUTPUTS, now=NOW)
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_predict_sql_matches_snapshot(case: str) -> None:
    assert_snapshot("predict", case, snapshot_text(CASES[case](), title=f"models {case}"))
