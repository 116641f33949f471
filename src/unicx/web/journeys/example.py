"""The journey an empty list teaches with: cart abandonment (docs/journeys.md), with a goal,
a holdout to measure uplift against, a split and lifecycle stages, so its canvas shows every
shape."""

from __future__ import annotations

import json
from typing import Any

CART_ABANDONMENT: dict[str, Any] = {
    "name": "Cart abandonment",
    "entry": {"type": "event", "event": "Product Added"},
    "reentry": {"policy": "cooldown", "cooldown": "7d"},
    "exit_when": [{"event": "Order Completed"}],
    "goal": {"event": "Order Completed", "within": "7d"},
    "holdout_percent": 10,
    "start": "wait_1h",
    "nodes": {
        "wait_1h": {"type": "wait", "for": "1h", "next": "bought", "stage": "interest"},
        "bought": {
            "type": "condition",
            "name": "Bought already?",
            "event_since_entry": {"event": "Order Completed"},
            "yes": "done",
            "no": "email",
        },
        "email": {
            "type": "message",
            "channel": "email",
            "name": "Cart reminder e-mail",
            "stage": "intent",
            "content": {
                "subject": "{{ traits.first_name | default('bạn') }} ơi, giỏ hàng đang chờ",
                "html": "<p>Chào {{ traits.first_name | default('bạn') }}, giỏ hàng của bạn "
                "vẫn còn đây.</p>",
            },
            "next": "opened",
        },
        "opened": {
            "type": "wait",
            "event": {"event": "Email Opened"},
            "timeout": "1d",
            "next": "done",
            "timeout_next": "done",
        },
        "done": {"type": "exit"},
    },
}

CART_ABANDONMENT_JSON = json.dumps({"definition": CART_ABANDONMENT}, ensure_ascii=False, indent=2)
