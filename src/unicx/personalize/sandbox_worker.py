"""The render worker of :mod:`unicx.personalize.sandbox`: reads (kind, source, context) frames
on stdin, answers ``[text, null]`` or ``[null, [path, rule, message]]`` in JSON on stdout,
with its address space capped and each render interrupted after the time limit. It exits
when stdin closes (its parent is gone)."""

from __future__ import annotations

import json
import os
import pickle
import resource
import signal
import sys
from types import FrameType
from typing import IO

from unicx.errors import ValidationError
from unicx.personalize.bodies import render_json_here
from unicx.personalize.sandbox import _HEADER, write_frame
from unicx.personalize.templates import SAMPLE_CONTEXT, render_here


class _TooSlow(BaseException):
    """Raised by the timer between two bytecodes; BaseException so that no ``except
    Exception`` inside Jinja or a filter can swallow it."""


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _TooSlow


def _cap_memory(mib: int) -> None:
    """RLIMIT_AS at what the process maps now plus ``mib``: allocations beyond fail with
    MemoryError instead of growing the machine's memory."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + (mib << 20)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(
        resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY else limit)
    )


def _answer(payload: bytes, *, mib: int, seconds: float) -> list[object]:
    kind, source, context = pickle.loads(payload)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        if kind == "json":
            return [render_json_here(source, context), None]
        return [render_here(source, context, html=kind == "html"), None]
    except ValidationError as exc:
        issue = exc.issues[0]
        return [None, [issue.field, issue.rule, issue.message]]
    except (MemoryError, RecursionError):
        return [None, ["template", "resources", f"refused: it needs more than {mib} MiB to render"]]
    except _TooSlow:
        return [None, ["template", "resources", f"refused: it takes more than {seconds:g} s"]]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _frame(stream: IO[bytes]) -> bytes | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return stream.read(size)


def main() -> None:
    mib, seconds = int(sys.argv[1]), float(sys.argv[2])
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal stops the parent, not us
    render_here("{{ locale }}", SAMPLE_CONTEXT, html=True)  # import and warm before the cap
    _cap_memory(mib)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (frame := _frame(stdin)) is not None:
        answer = _answer(frame, mib=mib, seconds=seconds)
        write_frame(stdout, json.dumps(answer, ensure_ascii=False).encode())


if __name__ == "__main__":
    main()
