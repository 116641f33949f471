"""The daily refresh: calendar-driven traits move once per local day, with no new events."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conftest import Workspace
from tests.profiles.test_traits_builtin import IDENTITIES, NOW, _an, _binh, _chi, _dung
from tests.profiles.traits_data import computed, load
from unicx.profiles.daily import DailyTraitsRefresh
from unicx.runtime.worker import PeriodicWorker
from unicx.workspace import open_store


def test_days_since_last_order_moves_once_a_day(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    load(store, _an() + _binh() + _chi() + _dung(), IDENTITIES)
    clock = [NOW]
    daily = DailyTraitsRefresh(store, workspace.settings, clock=lambda: clock[0])
    assert daily.last_day() is None
    assert daily.run_if_due()
    assert computed(store, "p-an")["days_since_last_order"] == 29
    assert not daily.run_if_due()  # same local day: nothing to do

    # The day is the workspace's (Asia/Ho_Chi_Minh): 23:59 on the 30th there is still the 30th,
    # 00:01 is 1 July (in UTC both are 30 June).
    clock[0] = NOW + timedelta(hours=11, minutes=59)
    assert not daily.run_if_due()
    clock[0] = NOW + timedelta(hours=12, minutes=1)
    assert daily.run_if_due()
    assert computed(store, "p-an")["days_since_last_order"] == 30
    assert daily.last_day() == datetime(2024, 7, 1).date()

    # A restart on the same day does not refresh again.
    assert not DailyTraitsRefresh(store, workspace.settings, clock=lambda: clock[0]).run_if_due()
    store.close()


def test_background_thread_runs_and_stops(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    load(store, _an(), IDENTITIES)
    daily = DailyTraitsRefresh(store, workspace.settings, clock=lambda: NOW)
    worker = PeriodicWorker("traits-daily", daily.run_if_due, interval_s=0.05)
    worker.start()
    worker.stop()
    assert daily.last_day() == NOW.date()
    assert computed(store, "p-an")["days_since_last_order"] == 29
    store.close()
