"""Custom computed traits: hostile and broken definitions are refused, good ones computed."""

from __future__ import annotations

import pytest

from tests.conftest import Workspace
from tests.profiles.test_traits_builtin import IDENTITIES, NOW, _an, _binh, _chi, _dung
from tests.profiles.traits_data import computed, load
from unicx.errors import ConflictError, NotFoundError, ValidationError
from unicx.profiles.custom_traits import (
    CustomTrait,
    delete_custom_trait,
    list_traits,
    read_definitions,
    save_custom_trait,
    traits_path,
    validate_custom_trait,
)
from unicx.profiles.traits import refresh_traits
from unicx.store import Store
from unicx.workspace import open_store

WHISKY = (
    "sum(CAST(properties->>'price' AS DOUBLE) * CAST(properties->>'quantity' AS DOUBLE)) "
    "FILTER (WHERE event = 'Order Completed' AND properties->>'category' = 'tea')"
)


@pytest.fixture
def store(workspace: Workspace) -> Store:
    store = open_store(workspace.settings)
    load(store, _an() + _binh() + _chi() + _dung(), IDENTITIES)
    return store


def _rule(store: Store, sql: str, name: str = "my_trait") -> str:
    with store.session() as s, pytest.raises(ValidationError) as caught:
        validate_custom_trait(s, CustomTrait(name=name, sql=sql))
    assert caught.value.issues, caught.value.message
    return caught.value.issues[0].rule


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("1; DROP TABLE events", "single_expression"),
        ("count(*); ", "single_expression"),
        ("DROP TABLE events", "statement"),
        ("(SELECT count(*) FROM events)", "subquery"),
        ("sum(local_hour) FILTER (WHERE event IN (SELECT event FROM events))", "subquery"),
        ("count(*) FROM events", "syntax"),
        ("read_csv('/etc/passwd')", "forbidden_function"),
        ("max(getenv('HOME'))", "forbidden_function"),
        ("max(current_setting('threads'))", "forbidden_function"),
        ("count(*) + count(read_parquet('x.parquet'))", "forbidden_function"),
        ("max(glob('*'))", "forbidden_function"),
        ("max(shoe_size)", "unknown_column"),
        ("max(e.user_id)", "table_reference"),
        ("event", "not_aggregate"),
        ("max(timestamp) - timestamp", "not_aggregate"),
        ("42", "not_aggregate"),
        ("sum(1) OVER ()", "window"),
        ("max(my_udf(event))", "unknown_function"),
        ("sum(event)", "sql_error"),
        ("count(*) /* ", "syntax"),
        ("max(user_id) = ?", "unsupported"),
        ("x" * 2001, "too_long"),
        ("count(*) + " + "(" * 600 + "1" + ")" * 600, "too_deep"),
    ],
)
def test_rejects(store: Store, sql: str, rule: str) -> None:
    assert _rule(store, sql) == rule


def test_name_rules(store: Store) -> None:
    assert _rule(store, "count(*)", name="Bad Name") == "pattern"
    assert _rule(store, "count(*)", name="revenue") == "builtin_clash"


def test_good_trait_saved_and_computed(store: Store, workspace: Workspace) -> None:
    settings = workspace.settings
    saved = save_custom_trait(store, settings, CustomTrait(name="tea_spend", sql=WHISKY))
    assert saved.kind == "custom"
    save_custom_trait(
        store, settings, CustomTrait(name="orders_since_june", sql=(
            "count(*) FILTER (WHERE event = 'Order Completed' AND "
            "timestamp >= now() - INTERVAL 30 DAY)"), description="recent 'orders'\n")
    )  # fmt: skip
    with pytest.raises(ConflictError):
        save_custom_trait(store, settings, CustomTrait(name="tea_spend", sql="count(*)"))
    assert [t.name for t in read_definitions(traits_path(settings))] == [
        "tea_spend", "orders_since_june",
    ]  # fmt: skip
    with store.session() as s, s.transaction():
        refresh_traits(s, settings, None, now=NOW)
    binh = computed(store, "p-binh")
    # tea lines of p-binh: 2 x 200000 + (-1) x 200000 + 1 x 200000 = 400000
    assert binh["tea_spend"] == 400000.0
    # now() is the refresh's as-of time: lines of 2024-06-25 (two events) are within 30 days
    assert binh["orders_since_june"] == 2
    assert "tea_spend" not in computed(store, "p-chi")  # a null aggregate stores no row
    assert computed(store, "p-chi")["orders_since_june"] == 0


def test_bad_value_does_not_abort_refresh(store: Store, workspace: Workspace) -> None:
    """CAST runs as TRY_CAST: a non-numeric value yields null instead of failing the pass."""
    trait = CustomTrait(name="bad_cast", sql="sum(CAST(event AS INTEGER))")
    save_custom_trait(store, workspace.settings, trait)
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
    assert "bad_cast" not in computed(store, "p-an")


def test_hand_edited_bad_entry_is_skipped(store: Store, workspace: Workspace) -> None:
    path = traits_path(workspace.settings)
    path.write_text(
        '[[trait]]\nname = "n_events"\nsql = "count(*)"\n\n'
        '[[trait]]\nname = "evil"\nsql = "max(getenv(\'HOME\'))"\n',
        encoding="utf-8",
    )
    with store.session() as s, s.transaction():
        refresh_traits(s, workspace.settings, None, now=NOW)
    assert computed(store, "p-chi")["n_events"] == 3
    assert "evil" not in computed(store, "p-chi")
    listed = {t.name: t for t in list_traits(workspace.settings)}
    assert listed["evil"].valid is False and "getenv" in (listed["evil"].error or "")
    assert listed["revenue"].kind == "builtin"


def test_bad_file_and_delete(store: Store, workspace: Workspace) -> None:
    path = traits_path(workspace.settings)
    path.write_text("[[trait]\nname = ", encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid TOML"):
        read_definitions(path)
    path.write_text('[[trait]]\nname = "x"\nsql = "count(*)"\nextra = 1\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="extra"):
        read_definitions(path)
    path.unlink()
    with pytest.raises(NotFoundError):
        delete_custom_trait(workspace.settings, "nope")
    save_custom_trait(store, workspace.settings, CustomTrait(name="n", sql="count(*)"))
    delete_custom_trait(workspace.settings, "n")
    assert read_definitions(path) == []
