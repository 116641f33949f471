"""The channels unicx ships; importing this module registers each of them."""

from __future__ import annotations

# One import per channel module; each module registers its class with @register.
from unicx.channels import (
    email,  # noqa: F401
    inapp,  # noqa: F401
    push,  # noqa: F401
    sms,  # noqa: F401
    webhook,  # noqa: F401
)
