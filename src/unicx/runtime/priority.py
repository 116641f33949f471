"""Background threads yield the CPU to the request path: a ``PeriodicWorker`` lowers its own
thread's priority when it starts (unless it asks not to).

On a small machine the event loop and the ingest writer share two cores with the realtime
pipeline and the journey threads; the scheduler should give those a smaller share when all of
them want the CPU, so under load the pipeline lags instead of the acks. Linux lets a process
set the nice value of one of its threads (``PRIO_PROCESS`` with the thread's native id).
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

# Nice 10: about a tenth of the CPU share of a nice-0 thread on a contended core (CFS weights),
# and all of it when the core is otherwise idle.
BACKGROUND_NICE = 10


def lower_priority() -> None:
    """Lower the calling thread's scheduling priority (where the OS allows it per thread)."""
    setpriority = getattr(os, "setpriority", None)
    if setpriority is None:  # not on this platform: the threads keep the process's priority
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        setpriority(os.PRIO_PROCESS, threading.get_native_id(), max(current, BACKGROUND_NICE))
    except OSError as exc:  # e.g. a sandbox refusing it: run at normal priority
        log.info("could not lower a background thread's priority: %s", exc)
