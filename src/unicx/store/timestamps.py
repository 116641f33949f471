"""How the API writes the timestamps the store gives back.

Answers written before they had response models used ``datetime.isoformat`` (``+00:00``);
pydantic writes ``Z``. Models of those answers use :data:`Timestamp` so clients comparing
strings see no change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer


def _iso(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
