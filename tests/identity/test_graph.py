"""The SQL connected components agree with a plain union-find on arbitrary graphs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unicx.config import load_settings
from unicx.identity.graph import find_components
from unicx.store import Store
from unicx.workspace import open_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = open_store(load_settings(workspace=tmp_path_factory.mktemp("graph")), create=True)
    yield s
    s.close()


def _union_find(nodes: int, groups: list[list[int]]) -> set[frozenset[int]]:
    parent = list(range(nodes))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for group in groups:
        for other in group[1:]:
            parent[root(other)] = root(group[0])
    parts: dict[int, set[int]] = {}
    for group in groups:
        for n in group:
            parts.setdefault(root(n), set()).add(n)
    return {frozenset(p) for p in parts.values()}


def _sql_components(store: Store, groups: list[list[int]]) -> set[frozenset[int]]:
    grp, ids = [], []
    for g, members in enumerate(groups):
        for n in members:
            grp.append(g)
            ids.append(f"n{n}")
    obs = pa.table(
        {
            "grp": pa.array(grp, pa.int64()),
            "ts": pa.array([datetime(2026, 1, 1, tzinfo=UTC)] * len(grp), pa.timestamp("us")),
            "id_type": pa.array(["user_id"] * len(grp), pa.string()),
            "id_value": pa.array(ids, pa.string()),
        }
    )
    with store.session() as s:
        s.register("obs_in", obs)
        s.execute("CREATE OR REPLACE TEMP TABLE obs AS SELECT * FROM obs_in", step="test.obs")
        s.unregister("obs_in")
        assert find_components(s) == len(groups)
        rows = s.fetchall(
            "SELECT l.label, n.id_value FROM g_nodes n JOIN g_labels l ON l.node = n.nid",
            step="test.labels",
        )
    parts: dict[int, set[int]] = {}
    for label, value in rows:
        parts.setdefault(label, set()).add(int(value[1:]))
    return {frozenset(p) for p in parts.values()}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(min_value=0, max_value=n - 1), min_size=1, max_size=4),
            min_size=1,
            max_size=50,
        )
    )
)
def test_components_match_union_find(store: Store, groups: list[list[int]]) -> None:
    nodes = max(max(g) for g in groups) + 1
    assert _sql_components(store, groups) == _union_find(nodes, groups)


@pytest.mark.parametrize("order", ["forward", "backward", "shuffled"])
def test_long_chain_is_one_component(store: Store, order: str) -> None:
    # A path of 500 identifiers, each event linking two neighbours: the worst case for
    # propagation rounds, whatever order the node numbers come in.
    links = [[i, i + 1] for i in range(499)]
    if order == "backward":
        links.reverse()
    elif order == "shuffled":
        links = links[::2] + links[1::2]
    assert _sql_components(store, links) == {frozenset(range(500))}
