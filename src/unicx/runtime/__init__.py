"""The server's background work: :class:`~unicx.runtime.worker.PeriodicWorker` (one thread
around a domain's step, with wake-ups, a stop, an error policy and health figures) and the
:class:`~unicx.runtime.chain.Runtime` that declares the realtime chain and the schedulers in one
file (``chain.py``), starts them in order and stops them in reverse.

May import any domain (it wires them together); no domain imports it: a domain hands over a
step and takes callables (``wake``, ``after_pass``) instead.
"""
