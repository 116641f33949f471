"""`unicx train --as-of DATE` (API: ``as_of``): training on an imported archive that ended
long ago, through the CLI on a real workspace (import, train, list runs)."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Workspace
from tests.helpers import bearer
from unicx.api.app import create_app
from unicx.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()
# The archive's last order, about a year before the test runs.
END = (datetime.now(UTC) - timedelta(days=380)).replace(hour=5, minute=0, second=0, microsecond=0)
SKUS = {"tra-sen": "Trà", "ca-phe": "Cà phê", "banh-pia": "Bánh", "keo-dua": "Bánh",
        "nuoc-mam": "Gia vị"}  # fmt: skip


def _days_ago(rng: random.Random, kind: str) -> list[float]:
    """Loyal people buy every 10-30 days up to the end; lapsing ones stopped 100-300 days
    before it; the rest bought once."""
    if kind == "once":
        return [rng.uniform(1, 700)]
    gaps, stop = ((10, 30), 0.0) if kind == "loyal" else ((5, 20), rng.uniform(100, 300))
    day, out = 700 - rng.uniform(0, 10), []
    while day > stop:
        out.append(day)
        day -= rng.uniform(*gaps)
    return out


def write_archive(path: Path, people: int = 250) -> None:
    rng = random.Random(7)
    rows: list[dict[str, Any]] = []
    for i in range(people):
        kind = ("loyal", "loyal", "lapsing", "lapsing", "once")[i % 5]
        for n, ago in enumerate(_days_ago(rng, kind)):
            sku = rng.choice(list(SKUS)[: 2 + i % 4])
            price = rng.randrange(50, 400) * 1000
            rows.append({"MaDon": f"DH{i:04d}-{n}", "MaKH": f"kh{i:04d}",
                         "Ngay": (END - timedelta(days=ago)).isoformat(), "MaSP": sku,
                         "TenSP": sku.replace("-", " ").title(), "NhomHang": SKUS[sku],
                         "SL": rng.randint(1, 3), "DonGia": price})  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _cli(*args: str) -> Any:
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def test_an_archive_trains_as_of_its_last_day(workspace: Workspace, tmp_path: Path) -> None:
    ws = str(workspace.path)
    write_archive(tmp_path / "orders.csv")
    mapping = "order_id=MaDon,user_id=MaKH,timestamp=Ngay,sku=MaSP,product_name=TenSP," \
        "category=NhomHang,quantity=SL,unit_price=DonGia"  # fmt: skip
    report = _cli("import", "orders", str(tmp_path / "orders.csv"), "--map", mapping, "-w", ws)
    assert report["rejected"] == 0 and report["accepted"] > 2_000
    # The import filled the catalog from its order lines (no feed was sent).
    items = {i["item_id"]: i for i in _cli("catalog", "list", "-w", ws)}
    assert set(items) == set(SKUS) and items["tra-sen"]["name"] == "Tra Sen"
    assert items["tra-sen"]["category"] == "Trà" and items["tra-sen"]["price"] > 0
    assert {i["source"] for i in items.values()} == {"events"}

    # At "now" nobody bought for a year: churn has no one who stayed, the recommenders' window
    # is empty. The reason says how to train on the archive.
    plain = {o["model"]: o for o in _cli("train", "-w", ws)}
    day = (END + timedelta(hours=7)).date().isoformat()  # the last order's day in Hồ Chí Minh
    for model in ("churn", "recommend"):
        assert plain[model]["status"] == "rejected", plain[model]
        assert f"--as-of {day}" in plain[model]["message"]
        assert plain[model]["as_of"] is None

    trained = {o["model"]: o for o in _cli("train", "--as-of", day, "-w", ws)}
    assert {m: o["status"] for m, o in trained.items()} == dict.fromkeys(trained, "active")
    assert set(trained) == {"clv", "churn", "recommend"}
    # The churn cut-offs counted back from the archive's end: both classes at the test cut-off.
    assert 0.2 < trained["churn"]["metrics"]["base_rate"] < 0.8
    assert trained["recommend"]["metrics"]["items"] == len(SKUS)

    runs = _cli("models", "list", "-w", ws)
    active = {r["model"]: r for r in runs if r["status"] == "active"}
    cut = datetime.fromisoformat(active["churn"]["as_of"])
    # A bare date means through the end of that day in the workspace's time zone.
    assert cut == datetime.fromisoformat(f"{day}T00:00:00+07:00") + timedelta(days=1)
    assert datetime.fromisoformat(active["churn"]["trained_at"]) > datetime.now(UTC) - timedelta(
        hours=1
    )  # the run keeps its real training time; only the data stop at as_of
    assert all(r["as_of"] == active["churn"]["as_of"] for r in active.values())
    rejected = [r for r in runs if r["status"] == "rejected"]
    assert rejected and all("--as-of" in r["message"] for r in rejected)


@pytest.mark.parametrize(
    ("as_of", "why"),
    [("2030-01-01", "future"), ("07/12/2025", "not a date"), ("1999-12-31", "2000"),
     ("2025-13-01", "not a date")],
)  # fmt: skip
def test_a_bad_as_of_is_a_400_naming_it(workspace: Workspace, as_of: str, why: str) -> None:
    with TestClient(create_app(workspace.settings)) as client:
        res = client.post(
            "/v1/models/train", json={"as_of": as_of}, headers=bearer(workspace.secret_key)
        )
    assert res.status_code == 400, res.text
    assert res.json()["issues"][0]["field"] == "as_of"
    assert why in res.json()["message"]
    out = runner.invoke(app, ["train", "--as-of", as_of, "-w", str(workspace.path)])
    assert out.exit_code != 0 and "as_of" in out.output
