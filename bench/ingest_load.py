"""The load generator: a separate process that posts pre-encoded bodies over keep-alive sockets.

It runs in its own process so its CPU is not the server's GIL, and it reports its own CPU time:
on a 2-core machine the client takes cores the server would otherwise have.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

_LEN = struct.Struct("<I")


def write_bodies(path: Path, bodies: list[tuple[str, bytes]]) -> None:
    """Length-prefixed (path, body) records: cheaper to hand to a child than a pickle of MBs."""
    with path.open("wb") as out:
        for url_path, body in bodies:
            encoded = url_path.encode()
            out.write(_LEN.pack(len(encoded)) + encoded + _LEN.pack(len(body)) + body)


def read_bodies(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    out: list[tuple[str, bytes]] = []
    pos = 0
    while pos < len(data):
        (n,) = _LEN.unpack_from(data, pos)
        url_path = data[pos + 4 : pos + 4 + n].decode()
        pos += 4 + n
        (n,) = _LEN.unpack_from(data, pos)
        out.append((url_path, data[pos + 4 : pos + 4 + n]))
        pos += 4 + n
    return out


@dataclass
class LoadResult:
    requests: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Unix times of each acknowledged request (sent, acked), to turn into pipeline lag.
    acks: list[tuple[float, float]] = field(default_factory=list)


async def _post_all(
    base_url: str,
    headers: dict[str, str],
    bodies: list[tuple[str, bytes]],
    concurrency: int,
    rate: float,
) -> LoadResult:
    """Post every body with ``concurrency`` in flight; ``rate`` > 0 paces the starts at that
    many requests per second (a fixed offered load), else as fast as answers come."""
    result = LoadResult(requests=len(bodies))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    next_index = iter(range(len(bodies)))
    headers = {**headers, "Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in next_index:
            url_path, body = bodies[i]
            if rate > 0 and (ahead := begin + i / rate - time.perf_counter()) > 0:
                await asyncio.sleep(ahead)
            sent = time.time()
            started = time.perf_counter()
            try:
                async with session.post(base_url + url_path, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                result.acks.append((sent, time.time()))

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        begin = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - begin
    return result


def run_load(
    base_url: str,
    headers: dict[str, str],
    bodies_path: Path,
    concurrency: int,
    result_path: Path,
    rate: float = 0.0,
) -> None:
    """Child-process entry point: post every body, pickle a LoadResult to ``result_path``."""
    bodies = read_bodies(bodies_path)
    cpu_before = os.times()
    result = asyncio.run(_post_all(base_url, headers, bodies, concurrency, rate))
    cpu_after = os.times()
    result.cpu_s = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    result_path.write_bytes(pickle.dumps(result))
