"""Recommendations previewed (record=False, the dashboard's Profile 360) are not logged as
served, so a marketer looking at a person never counts as an impression."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Workspace
from tests.recommend.test_serving import _shop
from unicx.recommend.serving import Recommender
from unicx.workspace import open_store


def test_a_preview_is_not_logged_as_served(workspace: Workspace) -> None:
    store = open_store(workspace.settings)
    try:
        _shop(store)
        recommender = Recommender(store, workspace.settings)
        now = datetime.now(UTC)
        preview = recommender.for_profile("p8", k=3, context="home", cart=[], placement="home",
                                          now=now, record=False)  # fmt: skip
        assert recommender.log.flush() == 0
        served = recommender.for_profile("p8", k=3, context="home", cart=[], placement="home",
                                         now=now)  # fmt: skip
        assert recommender.log.flush() == 1
        assert [i.item_id for i in preview.items] == [i.item_id for i in served.items]
    finally:
        store.close()
