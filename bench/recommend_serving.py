"""Recommendation serving latency: 100,000 people, a real server, 200 requests/s open loop.

    .venv/bin/python bench/recommend_serving.py

Builds (or reuses) the audience workspace of bench/audience_data.py with 100,000 people (about
2M events, 300 products), imports the products into the catalog, trains the recommendations
six hours before the data's end (so the last hours are "since training" and re-rank answers at
request time), starts `unicx serve` in a subprocess and drives it open loop: requests start on
their schedule whether or not earlier ones have answered, so a slow server cannot slow the
load down and hide its own latency. Latency is measured from each request's scheduled start.

Phases at the same rate and duration: the baseline (GET /v1/me: authentication and routing
only) then the serving mix: 55% home, 20% product page, 10% cart (two items), 10% similar items,
5% profiles created after training (cold start, read from the store). Last line: JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests.helpers: the server
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from tests.helpers import ServerProcess, bearer

from audience_data import DEFAULT_NOW, ensure_workspace
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.recommend import catalog
from unicx.recommend.train import train

OUT = Path("/tmp/unicx-recserve")
PEOPLE = 100_000
RATE = 200.0
SECONDS = 30.0
TRAINED_AT = DEFAULT_NOW - timedelta(hours=6)


def prepare() -> tuple[str, list[str], list[str]]:
    """The workspace trained, with an admin key; returns it, the products, new profiles."""
    store, settings, _ = ensure_workspace(OUT, people=PEOPLE)
    try:
        with store.session() as s:
            products = s.fetch_dicts(
                "SELECT DISTINCT properties->>'$.product_id' AS id, "
                "properties->>'$.category' AS category FROM events "
                "WHERE event = 'Product Viewed' AND (properties->>'$.product_id') IS NOT NULL",
                step="bench.products",
            )
        rows = [{**p, "name": f"Sản phẩm {p['id']}", "price": 100000} for p in products]
        catalog.upsert(store, rows, now=DEFAULT_NOW)
        started = time.perf_counter()
        result = train(store, settings, now=TRAINED_AT)
        print(f"trained in {time.perf_counter() - started:.1f}s: {result.status} "
              f"{result.metrics}", flush=True)  # fmt: skip
        secret = AccessService(store).create_api_key("bench-recommend", Role.admin).secret_key
        with store.session() as s:
            fresh = s.fetchall(
                "SELECT profile_id FROM profiles WHERE profile_id NOT IN "
                "(SELECT profile_id FROM rec_candidates) LIMIT 2000",
                step="bench.cold",
            )
    finally:
        store.close()
    return secret, [str(p["id"]) for p in products], [str(r[0]) for r in fresh]


def mix(n: int, products: list[str], cold: list[str], seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    urls = []
    for _ in range(n):
        who = f"p{rng.randrange(PEOPLE)}"
        roll = rng.random()
        if roll < 0.55:
            urls.append(f"/v1/profiles/{who}/recommendations?k=10&placement=home")
        elif roll < 0.75:
            sku = rng.choice(products)
            urls.append(f"/v1/profiles/{who}/recommendations?k=10&context=product:{sku}"
                        "&placement=product_page")  # fmt: skip
        elif roll < 0.85:
            cart = ",".join(rng.sample(products, 2))
            urls.append(f"/v1/profiles/{who}/recommendations?k=10&context=cart&cart={cart}"
                        "&placement=cart")  # fmt: skip
        elif roll < 0.95:
            urls.append(f"/v1/items/{rng.choice(products)}/similar?k=10")
        else:
            who = rng.choice(cold) if cold else who
            urls.append(f"/v1/profiles/{who}/recommendations?k=10&placement=home")
    return urls


async def drive(base: str, headers: dict[str, str], urls: list[str]) -> dict[str, Any]:
    """Open loop at RATE: request i starts at t0 + i/RATE."""
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    latencies: list[float] = []
    errors: dict[str, int] = {}

    async def one(client: httpx.AsyncClient, at: float, url: str) -> None:
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        try:
            res = await client.get(url)
            ok = res.status_code == 200
            key = str(res.status_code)
        except httpx.HTTPError as exc:
            ok, key = False, type(exc).__name__
        latencies.append((time.perf_counter() - at) * 1000)
        if not ok:
            errors[key] = errors.get(key, 0) + 1

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=30) as client:  # fmt: skip
        t0 = time.perf_counter() + 0.5
        tasks = [asyncio.create_task(one(client, t0 + i / RATE, u)) for i, u in enumerate(urls)]
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    lat = np.array(latencies)
    return {
        "requests": len(urls),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
        "max_ms": round(float(lat.max()), 2),
        "rate": round(len(urls) / elapsed, 1),
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


def main() -> None:
    secret, products, cold = prepare()
    # Personalize everyone who has not withdrawn consent (the generated people never gave the
    # personalization consent either way): exercises the personalized path.
    os.environ["UNICX_PERSONALIZATION_OPT_IN"] = "false"
    server = ServerProcess(OUT).start(timeout=120)
    try:
        headers = bearer(secret)
        n = int(RATE * SECONDS)
        with httpx.Client(base_url=server.url, headers=headers, timeout=120) as client:
            for url in mix(50, products, cold, seed=99):  # loads the index, warms caches
                client.get(url).raise_for_status()
        baseline = asyncio.run(drive(server.url, headers, ["/v1/me"] * n))
        print("baseline", baseline, flush=True)
        serving = asyncio.run(drive(server.url, headers, mix(n, products, cold)))
        print("serving", serving, flush=True)
    finally:
        server.stop()
    ratio = round(serving["p99_ms"] / max(baseline["p99_ms"], 1e-9), 2)
    print(json.dumps({"serving": serving, "baseline": baseline, "p99_ratio": ratio,
                      "target_p99_ms": 20, "people": PEOPLE, "rate_target": RATE}))  # fmt: skip


if __name__ == "__main__":
    main()
