"""Templates render in worker processes whose memory and time are bounded by the kernel.

Jinja's sandbox keeps a template away from Python internals but not from allocating: ``center``,
``'%0Nd' % 1``, ``'{:N}'.format``, ``replace``, ``join`` of a repeated list, ``{% set %}``
chains that double a string, bytes repetition, nested loops that print… each makes gigabytes
before the 64 KB output check. Bounding every operation one by one is a list that is never
complete, so each render runs in a long-lived worker process (``sandbox_worker``) whose address
space is capped with ``RLIMIT_AS`` (:data:`MEMORY_MIB` beyond what it holds after start-up) and
whose render is interrupted after :data:`RENDER_SECONDS`. Past either, the template is refused
(400 at save time, a failed message at send time) and the server is untouched. A worker that
hangs in C code past the deadline, or dies, is killed and replaced.

:data:`WORKERS` workers serve all threads; a render costs one pipe round trip (tens of µs).
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO, Any

MEMORY_MIB = 256
RENDER_SECONDS = 2.0
WORKERS = 2
_GRACE_S = 1.0  # beyond RENDER_SECONDS before the parent kills a worker that does not answer
_HEADER = struct.Struct(">I")


@dataclass(frozen=True)
class Answer:
    """The rendered text, or the (path, rule, message) that refuses the template."""

    out: str | None = None
    issue: tuple[str, str, str] | None = None


class _Broken(Exception):
    """The worker did not answer in time or died."""


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


class _Worker:
    def __init__(self) -> None:
        args = [sys.executable, "-m", "unicx.personalize.sandbox_worker"]
        args += [str(MEMORY_MIB), str(RENDER_SECONDS)]
        # stderr inherited: a worker's unexpected traceback lands in the server's log.
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, payload: bytes) -> Answer:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            write_frame(self.proc.stdin, payload)
        except (BrokenPipeError, OSError) as exc:
            raise _Broken("the renderer stopped") from exc
        deadline = time.monotonic() + RENDER_SECONDS + _GRACE_S
        fd = self.proc.stdout.fileno()
        (size,) = _HEADER.unpack(_read(fd, _HEADER.size, deadline))
        out, issue = json.loads(_read(fd, size, deadline))
        return Answer(out, tuple(issue) if issue else None)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _read(fd: int, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise _Broken(f"took more than {RENDER_SECONDS:g} s to render")
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise _Broken(f"used more than {MEMORY_MIB} MiB or crashed its renderer")
        data += chunk
    return data


class _Pool:
    """Workers started on first use; a thread waits for a free one."""

    def __init__(self, size: int) -> None:
        self._idle: queue.LifoQueue[_Worker | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(None)

    def run(self, payload: bytes) -> Answer:
        worker = self._idle.get()
        try:
            worker = worker or _Worker()
            return worker.ask(payload)
        except _Broken as exc:
            if worker is not None:
                worker.kill()
                worker = None
            return Answer(issue=("template", "resources", f"refused: the template {exc}"))
        finally:
            self._idle.put(worker)


_POOL = _Pool(WORKERS)


def render_isolated(source: str, context: dict[str, Any], *, kind: str) -> Answer:
    """``kind``: ``html`` or ``text`` (message and offer templates), ``json`` (request bodies)."""
    return _POOL.run(pickle.dumps((kind, source, context), protocol=pickle.HIGHEST_PROTOCOL))
