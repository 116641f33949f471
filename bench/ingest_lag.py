"""Pipeline lag: acked event → its profile and segments updated, from the server's pass log.

The load generator records, per acknowledged request, when the 200 came back. The server's
profile pipeline logs each pass (`GET /v1/pipeline`): the writer hands a commit to the pipeline
before it acks, so a pass that took its work after the ack (``started``) reflects the request
(or an earlier pass did). An event's lag is ``finished`` of the first pass started after its
ack, minus the ack: an upper bound, off by at most one pass when an earlier one already had it.
The log is read once after each phase, when the pipeline has caught up: nothing is asked of
the server while the load runs, so the measurement does not load it.
"""

from __future__ import annotations

import bisect
import statistics
import time
from dataclasses import dataclass

import httpx

POLL_S = 0.2


@dataclass(frozen=True)
class Pass:
    started: float
    finished: float
    since: float | None


def wait_caught_up(url: str, secret: str, *, timeout: float = 300.0) -> float:
    """Poll until no commit waits for a pass; returns the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        status = _status(url, secret, after=time.time(), limit=0)
        if status["backlog_since"] is None and not status["busy"]:
            return time.monotonic() - began
        time.sleep(POLL_S)
    raise SystemExit(f"the pipeline did not catch up in {timeout:.0f} s")


def passes(url: str, secret: str, *, after: float) -> list[Pass]:
    """Every pass that started after ``after`` (Unix s), oldest first."""
    out: list[Pass] = []
    while True:
        recent = _status(url, secret, after=after, limit=1000)["recent"]
        out += [Pass(p["started"], p["finished"], p["since"]) for p in recent]
        if len(recent) < 1000:
            return out
        after = recent[-1]["started"]


def _status(url: str, secret: str, *, after: float, limit: int) -> dict[str, object]:
    answer = httpx.get(
        f"{url}/v1/pipeline",
        params={"after": after, "limit": limit},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    )
    answer.raise_for_status()
    body: dict[str, object] = answer.json()
    return body


def lags(acks: list[tuple[float, float]], log: list[Pass]) -> list[float]:
    """Seconds from each ack to the end of the first pass that covers that request."""
    starts = [p.started for p in log]
    out: list[float] = []
    for _sent, acked in acks:
        i = bisect.bisect_right(starts, acked)
        if i == len(log):
            raise SystemExit(f"no pass covers the request acknowledged at {acked:.3f}")
        out.append(log[i].finished - acked)
    return out


@dataclass
class Lag:
    p50_s: float
    p99_s: float
    passes: int
    catch_up_s: float

    @classmethod
    def measure(
        cls, url: str, secret: str, acks: list[tuple[float, float]], *, after: float
    ) -> Lag:
        catch_up = wait_caught_up(url, secret)
        log = passes(url, secret, after=after)
        values = lags(acks, log)
        p99 = statistics.quantiles(values, n=100, method="inclusive")[98]
        return cls(statistics.median(values), p99, len(log), catch_up)
