"""Imports of bad and hostile files: clear errors per row or for the file, nothing half-applied."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import Workspace
from tests.profiles.imports_data import (
    ORDERS,
    ORDERS_HEADER,
    count,
    events,
    import_file,
    write_csv,
)
from unicx.errors import StoreError, ValidationError
from unicx.profiles.imports import get_import
from unicx.profiles.imports.load import ImportLoad
from unicx.store import Store


def _nothing_written(store: Store, ws: Workspace) -> None:
    assert count(store, "events") == 0
    assert count(store, "imports") == 0


def test_missing_mapped_column_fails_before_writing(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "crm.csv", ["Email", "Ten"], [["a@example.vn", "An"]])
    with pytest.raises(ValidationError) as err:
        import_file(store, workspace, path, mapping={"email": "E-mail", "first_name": "Ten"})
    assert "E-mail" in err.value.message and "Email" in err.value.message  # what the file has
    assert err.value.issues[0].rule == "missing_column"
    _nothing_written(store, workspace)


def test_unknown_field_and_unmappable_file(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "crm.csv", ["Ten"], [["An"]])
    with pytest.raises(ValidationError, match="invalid mapping"):
        import_file(store, workspace, path, mapping={"nickname": "Ten"})
    with pytest.raises(ValidationError, match="user_id, email or phone"):
        import_file(store, workspace, path, mapping={"first_name": "Ten"})
    with pytest.raises(ValidationError, match="profiles or orders"):
        import_file(store, workspace, path, kind="customers")
    _nothing_written(store, workspace)


def test_bad_rows_are_reported_and_written_to_rejects(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    header = ["email", "phone", "first_name", "birth_date", "created_at"]
    rows = [
        ["an@example.vn", "0912345678", '=HYPERLINK("http://x")', "31/12/1990", "2023-01-05"],
        ["not-an-email", "", "B", "", ""],
        ["c@example.vn", "12345", "C", "", ""],
        ["d@example.vn", "", "=cmd|' /C calc'!A0", "1990-02-30", ""],
        ["e@example.vn", "", "E", "", "yesterday"],
        ["null", "", "F", "", ""],
        ["test@test.com", "0", "+SUM(A1)", "", ""],
    ]
    report = import_file(store, workspace, write_csv(tmp_path / "crm.csv", header, rows))
    assert (report.total_rows, report.accepted, report.rejected) == (7, 1, 6)
    found = [(e.row, e.column, e.rule) for e in report.errors]
    assert found == [
        (3, "email", "email"),
        (4, "phone", "phone"),
        (5, "birth_date", "date"),
        (6, "created_at", "datetime"),
        (7, "email|phone", "identifier_required"),  # placeholders are not identifiers
        (8, "email|phone", "identifier_required"),
    ]
    (event,) = events(store)
    assert event["traits"]["first_name"] == '=HYPERLINK("http://x")'  # data, kept as written
    assert event["timestamp"].isoformat() == "2023-01-04T17:00:00+00:00"  # created_at, Hanoi
    assert report.rejects_path is not None
    with open(report.rejects_path, encoding="utf-8-sig", newline="") as f:
        rejected = list(csv.DictReader(f))
    assert list(rejected[0]) == [*header, "row", "column", "rule", "message"]
    assert [r["row"] for r in rejected] == ["3", "4", "5", "6", "7", "8"]
    assert rejected[0]["email"] == "not-an-email" and rejected[0]["rule"] == "email"
    assert rejected[2]["first_name"] == "'=cmd|' /C calc'!A0"  # defused for spreadsheets
    assert rejected[5]["first_name"] == "'+SUM(A1)"
    # The import's record in the database keeps the rule broken, not the rejected value: those
    # rows belong to no profile, so an erasure could never find them there.
    stored = get_import(store, report.import_id)
    assert [(e.row, e.rule) for e in stored.errors] == [(e.row, e.rule) for e in report.errors]
    assert "not-an-email" in report.errors[0].message
    assert not any("not-an-email" in e.message or "12345" in e.message for e in stored.errors)


def test_order_rules(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    bad = [
        ["", "a@example.vn", "", "2024-05-01", "S", "", "1", "10"],
        ["D2", "a@example.vn", "", "2024-05-01", "", "", "1", "10"],
        ["D3", "a@example.vn", "", "2024-05-01", "S", "", "0", "10"],
        ["D4", "a@example.vn", "", "2024-05-01", "S", "", "1,5", "10"],
        ["D5", "a@example.vn", "", "2024-05-01", "S", "", "1", "-10"],
        ["D6", "a@example.vn", "", "2099-05-01", "S", "", "1", "10"],
        ["D7", "a@example.vn", "", "1999-05-01", "S", "", "1", "10"],
        ["D8", "a@example.vn", "", "", "S", "", "1", "10"],
    ]
    report = import_file(
        store, workspace, write_csv(tmp_path / "o.csv", ORDERS_HEADER, bad), kind="orders"
    )
    rules = [(e.row, e.column, e.rule) for e in report.errors]
    assert rules == [
        (2, "order_id", "required"),
        (3, "sku", "required"),
        (4, "quantity", "nonzero"),
        (5, "quantity", "number"),
        (6, "unit_price", "min"),
        (7, "timestamp", "not_future"),
        (8, "timestamp", "min_timestamp"),
        (9, "timestamp", "required"),
    ]
    assert report.accepted == 0 and count(store, "events") == 0


def test_rows_with_wrong_field_count_keep_their_row_numbers(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        'email,first_name\na@example.vn,A\nb@example.vn,B,extra\n"c@example.vn","C\nD"\nbad\ne@example.vn,E\n'
    )
    report = import_file(store, workspace, path)
    assert [(e.row, e.rule) for e in report.errors] == [(3, "field_count"), (5, "field_count")]
    assert report.accepted == 3 and report.total_rows == 5
    assert sorted(e["traits"]["first_name"] for e in events(store)) == ["A", "C\nD", "E"]


def test_failed_write_rolls_back_everything(
    store: Store, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "o.csv", ORDERS_HEADER, [*ORDERS, ["", "", "", "", "", "", "", ""]])

    def broken(self: ImportLoad, *args: object, **kwargs: object) -> None:
        self.flush()  # the events are in: the failure comes after them, inside the transaction
        raise StoreError("disk full", sql="INSERT INTO imports", step="imports.record")

    monkeypatch.setattr(ImportLoad, "record", broken)
    with pytest.raises(StoreError):
        import_file(store, workspace, path, kind="orders")
    _nothing_written(store, workspace)
    assert not list((workspace.path / "imports").glob("*.rejects.csv"))


def test_max_errors_fails_the_wholeimport_file(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    rows = [["a@example.vn"], ["bad"], ["worse"]]
    path = write_csv(tmp_path / "crm.csv", ["email"], rows)
    with pytest.raises(ValidationError, match="max-errors 1"):
        import_file(store, workspace, path, max_errors=1)
    _nothing_written(store, workspace)
    assert import_file(store, workspace, path, max_errors=2).accepted == 1


def test_hostile_files(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    garbage = tmp_path / "crm.csv"
    garbage.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(ValidationError, match="binary"):
        import_file(store, workspace, garbage)
    fake = tmp_path / "crm.parquet"
    fake.write_text("email\na@example.vn\n")
    with pytest.raises(ValidationError, match="Parquet"):
        import_file(store, workspace, fake)
    undecodable = tmp_path / "u.csv"
    undecodable.write_bytes(b"email\n\x81\x8d\x8e@example.vn\n")
    with pytest.raises(ValidationError, match="encoding"):
        import_file(store, workspace, undecodable)
    with pytest.raises(ValidationError, match="is not accepted"):
        import_file(
            store,
            workspace,
            write_csv(tmp_path / "ok.csv", ["email"], [["a@b.vn"]]),
            encoding="klingon",
        )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError, match="empty"):
        import_file(store, workspace, empty)
    dupes = write_csv(tmp_path / "d.csv", ["email", "email"], [["a@b.vn", "c@d.vn"]])
    with pytest.raises(ValidationError, match="duplicate column"):
        import_file(store, workspace, dupes)
    either = write_csv(tmp_path / "e.csv", ["email", "Email"], [["a@b.vn", "c@d.vn"]])
    with pytest.raises(ValidationError, match="could all be email"):
        import_file(store, workspace, either)
    _nothing_written(store, workspace)


def test_huge_fields(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "crm.csv",
        ["email", "address"],
        [["a@example.vn", "x" * 100_000], ["b@example.vn", "ok"]],
    )
    report = import_file(store, workspace, path)
    assert [(e.row, e.column, e.rule) for e in report.errors] == [(2, "address", "max_length")]
    assert report.accepted == 1
    monster = tmp_path / "m.csv"
    with monster.open("w") as f:  # a cell of 4 MB in a column nobody mapped
        f.write("email,note\nc@example.vn," + "y" * (4 << 20) + "\n")
    assert import_file(store, workspace, monster).accepted == 1
    assert max(len(str(e["traits"])) for e in events(store)) < 200
