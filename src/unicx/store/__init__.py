"""Storage seam: every domain reads and writes through :class:`Store`; migrations are applied
here but declared by the domains.

Layer: store: imports only errors, config, clock, csvfile, runfile, never a domain.
"""

from unicx.store.store import Session, Store

__all__ = ["Session", "Store"]
