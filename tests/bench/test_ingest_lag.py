"""The ingest benchmark's lag arithmetic (bench/ingest_lag.py): each acknowledged request is
charged to the first pass that took its work after the ack, never to an earlier one."""

from __future__ import annotations

import pytest

from tests.bench.loader import load_bench

lag = load_bench("ingest_lag")
LOG = [lag.Pass(10.0, 11.0, None), lag.Pass(12.0, 14.5, 9.9), lag.Pass(15.0, 15.5, 12.1)]


def test_each_ack_goes_to_the_first_pass_started_after_it() -> None:
    acks = [(9.0, 9.5), (10.0, 10.0), (10.5, 11.9), (12.0, 14.9)]
    # A pass that started at the very instant of the ack may have missed it: the next one.
    assert lag.lags(acks, LOG) == pytest.approx([1.5, 4.5, 2.6, 0.6])


def test_an_ack_after_the_last_pass_is_an_error_not_a_zero() -> None:
    with pytest.raises(SystemExit, match="no pass covers"):
        lag.lags([(15.0, 15.2)], LOG)
