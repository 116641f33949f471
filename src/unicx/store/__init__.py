"""Storage seam: every domain reads and writes through :class:`Store`."""

from unicx.store.store import Session, Store

__all__ = ["Session", "Store"]
