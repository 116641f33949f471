"""Profile and order imports through the service: the events they produce, and idempotence."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import Workspace
from tests.profiles.imports_data import (
    ORDERS,
    ORDERS_HEADER,
    count,
    cp1258,
    events,
    import_file,
    records,
    write_csv,
    write_jsonl,
)
from unicx.store import Store

CRM_HEADER = ["Ma KH", "Email", "SDT", "Ten", "Ho", "Ngay sinh", "Thanh pho", "Hang"]
CRM_MAP = {
    "user_id": "Ma KH",
    "email": "Email",
    "phone": "SDT",
    "first_name": "Ten",
    "last_name": "Ho",
    "birth_date": "Ngay sinh",
    "city": "Thanh pho",
    "trait.tier": "Hang",
}


def test_crm_csv_becomes_identify_events(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    rows = [
        ["", " An@Example.VN ", "0912 345 678", "An", "Nguyễn Văn", "03/04/1990", "Hà Nội", "gold"],
        ["KH2", "", "", "Bình", "Trần", "1985-12-31", "Huế", ""],
    ]
    path = write_csv(tmp_path / "crm.csv", CRM_HEADER, rows, sep=";")
    progress: list[tuple[int, int | None]] = []
    report = import_file(
        store, workspace, path, mapping=CRM_MAP, progress=lambda d, t: progress.append((d, t))
    )
    assert (report.total_rows, report.accepted, report.rejected) == (2, 2, 0)
    assert report.events_written == 2 and report.file_format == "csv"
    assert progress[-1] == (2, None)
    an, binh = sorted(events(store), key=lambda e: e["user_id"] or "")
    assert an["type"] == "identify" and an["source_id"] == "unicx:import"
    assert an["user_id"] is None and an["anonymous_id"].startswith("imp-")
    assert an["message_id"].startswith("imp-p-")
    assert an["traits"] == {
        "email": "an@example.vn",
        "phone": "+84912345678",
        "first_name": "An",
        "last_name": "Nguyễn Văn",
        "birth_date": "1990-04-03",  # day first: 3 April
        "city": "Hà Nội",
        "tier": "gold",
    }
    assert an["context"]["traits"] == {"email": "an@example.vn", "phone": "+84912345678"}
    assert binh["user_id"] == "KH2" and binh["anonymous_id"] is None
    assert binh["traits"]["birth_date"] == "1985-12-31"
    with store.session() as s:
        (imported,) = s.fetch_dicts("SELECT * FROM imports", step="t")
    assert imported["import_id"] == report.import_id and imported["accepted"] == 2


def test_identifiers_of_an_import_link_into_one_profile(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    crm = write_csv(tmp_path / "crm.csv", ["email", "phone"], [["an@example.vn", "0912345678"]])
    import_file(store, workspace, crm)
    orders = write_csv(tmp_path / "orders.csv", ORDERS_HEADER, ORDERS)
    import_file(store, workspace, orders, kind="orders")
    with store.session() as s:
        owners = s.fetchall("SELECT DISTINCT profile_id FROM event_profiles", step="t")
    assert len(owners) == 1 and owners[0][0] is not None


def test_order_lines_become_order_events(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    rows = [*ORDERS, ORDERS[0]]  # the last row repeats the first: a duplicate
    report = import_file(
        store, workspace, write_csv(tmp_path / "o.csv", ORDERS_HEADER, rows), kind="orders"
    )
    assert (report.total_rows, report.accepted, report.duplicates) == (5, 4, 1)
    stored = {e["message_id"]: e for e in events(store)}
    assert sorted(stored) == [
        "order:DH1:SKU1:1",
        "order:DH1:SKU2:1",
        "order:DH1:SKU2:2",
        "order:DH2:SKU1:1",
    ]
    line = stored["order:DH1:SKU1:1"]
    assert line["event"] == "Order Completed" and line["type"] == "track"
    assert line["context"]["traits"] == {"email": "an@example.vn"}
    assert line["timestamp"].isoformat() == "2024-05-01T03:00:00+00:00"  # 10:00 in Hanoi
    assert line["properties"] == {
        "order_id": "DH1",
        "revenue": 300000,
        "total": 300000,
        "currency": "VND",
        "products": [
            {
                "product_id": "SKU1",
                "sku": "SKU1",
                "quantity": 2,
                "category": "giay",
                "price": 150000,
            }
        ],
        "sku": "SKU1",
        "category": "giay",
        "quantity": 2,
        "price": 150000,
        "line_total": 300000,
    }
    assert stored["order:DH1:SKU2:1"]["properties"]["price"] == 50000  # 50,000 grouped
    refund = stored["order:DH2:SKU1:1"]
    assert refund["event"] == "Order Refunded"
    assert refund["properties"]["revenue"] == -150000 and refund["properties"]["total"] == 150000
    assert refund["properties"]["products"][0]["quantity"] == 1
    assert refund["context"]["traits"] == {"phone": "+84912345678"}


def test_reimport_changes_nothing(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS)
    first = import_file(store, workspace, path, kind="orders")
    before = count(store, "events")
    again = import_file(store, workspace, path, kind="orders")
    assert first.events_written == 4
    assert (again.accepted, again.events_written, again.already_imported) == (4, 0, 4)
    assert count(store, "events") == before
    assert count(store, "imports") == 2  # both runs are on record


def test_parquet_and_jsonl_give_the_same_events_as_csv(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    items = records(ORDERS_HEADER, ORDERS)
    table = pa.Table.from_pylist(items)
    table = table.set_column(6, "quantity", pa.array([int(i["quantity"]) for i in items]))
    pq.write_table(table, tmp_path / "o.parquet")
    parquet = import_file(store, workspace, tmp_path / "o.parquet", kind="orders")
    assert (parquet.file_format, parquet.accepted, parquet.events_written) == ("parquet", 4, 4)
    jsonl = write_jsonl(tmp_path / "o.jsonl", items)
    again = import_file(store, workspace, jsonl, kind="orders")
    assert (again.file_format, again.accepted, again.already_imported) == ("jsonl", 4, 4)
    csv = import_file(
        store, workspace, write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS), kind="orders"
    )
    assert csv.events_written == 0 and count(store, "events") == 4


def test_jsonl_bad_line_is_one_rejected_row(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"email": "a@example.vn", "age": 30}\n\n{"email": \n[1, 2]\n{"email": "b@example.vn"}\n'
    )
    report = import_file(store, workspace, path, mapping={"email": "email", "trait.age": "age"})
    assert (report.total_rows, report.accepted, report.rejected) == (4, 2, 2)
    assert [(e.row, e.rule) for e in report.errors] == [(3, "json"), (4, "json")]
    traits = sorted(e["traits"]["email"] for e in events(store))
    assert traits == ["a@example.vn", "b@example.vn"]


def test_windows_1258_vietnamese_names(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes(cp1258("Email,Tên,Thành phố\nan@example.vn,Nguyễn Thị Ánh Tuyết,Đà Nẵng\n"))
    report = import_file(
        store, workspace, path, mapping={"email": "Email", "full_name": "Tên", "city": "Thành phố"}
    )
    assert report.encoding == "cp1258" and report.accepted == 1
    (event,) = events(store)
    assert event["traits"]["full_name"] == "Nguyễn Thị Ánh Tuyết"  # NFC, equal to typed text
    assert event["traits"]["city"] == "Đà Nẵng"


def test_utf8_bom_header_maps_by_default(
    store: Store, workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes("\ufeffEMAIL\tFirst_Name\nan@example.vn\tÂn\n".encode())
    report = import_file(store, workspace, path)
    assert report.accepted == 1 and report.encoding == "utf-8-sig"
    assert events(store)[0]["traits"] == {"email": "an@example.vn", "first_name": "Ân"}


def test_explicit_encoding(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes("email,first_name\nan@example.vn,Ân\n".encode("utf-16"))
    report = import_file(store, workspace, path, encoding="utf-16")
    assert events(store)[0]["traits"]["first_name"] == "Ân" and report.encoding == "utf-16"


def test_keep_unmapped_and_month_first(store: Store, workspace: Workspace, tmp_path: Path) -> None:
    header = ["email", "birth_date", "Hạng thẻ", "Ghi chú"]
    path = write_csv(tmp_path / "crm.csv", header, [["a@example.vn", "04/03/1990", "gold", "VIP"]])
    report = import_file(store, workspace, path, keep_unmapped=True, date_order="mdy")
    assert report.accepted == 1
    traits = events(store)[0]["traits"]
    assert traits["birth_date"] == "1990-04-03"  # month first: April 3
    assert traits["hang_the"] == "gold" and traits["ghi_chu"] == "VIP"
