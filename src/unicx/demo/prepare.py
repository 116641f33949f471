"""Everything the demo sets up after (or around) its history, through the management API.

Like the events, the set-up goes through HTTP with the admin secret key, so each step is
something a newcomer can repeat with curl: the catalog feed, the e-mail channel pointed at the
demo's SMTP sink, the lifecycle segments, model training, personas and the cart journeys.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
from rich.console import Console

from unicx.demo import catalog as c
from unicx.demo.stream import DemoStreamError

SENDER = "xin-chao@choxinh.example"
WAIT_BEFORE_NUDGE = "2m"  # short, so a newcomer sees the e-mails arrive


def admin_client(url: str, secret_key: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {secret_key}"}, timeout=600
    )


def _reason(res: httpx.Response) -> str:
    try:
        return str(res.json().get("message", res.text[:300]))
    except ValueError:
        return res.text[:300]


def _ok(res: httpx.Response, what: str, *, status: int = 200) -> Any:
    if res.status_code != status:
        raise DemoStreamError(f"demo {what}: HTTP {res.status_code} {res.text[:300]}")
    return res.json()


def load_catalog(client: httpx.Client) -> int:
    """The shop's product feed: Vietnamese names, categories, VND prices, links."""
    items = [
        {
            "id": p.product_id,
            "name": p.name,
            "category": p.category,
            "price": p.price,
            "currency": "VND",
            "url": f"{c.SHOP_URL}/san-pham/{p.sku.lower()}",
            "available": True,
        }
        for p in c.PRODUCTS
    ]
    report = _ok(client.post("/v1/catalog/items", json={"items": items}), "catalog")
    return int(report.get("upserted", len(items)))


def use_sink(client: httpx.Client, *, host: str, port: int) -> None:
    """Send e-mail to the demo's SMTP sink, at any hour: quiet hours (21:00-08:00 by default)
    would hold a night-time demo's e-mails until morning."""
    config = {"host": host, "port": port, "from_address": SENDER, "from_name": c.SHOP_NAME}
    _ok(client.put("/v1/channels/email", json={"config": config}), "e-mail channel")
    policy = _ok(client.get("/v1/messaging/policy"), "messaging policy")
    body = {"policy": {**policy, "quiet_hours": None}}
    _ok(client.put("/v1/messaging/policy", json=body), "messaging policy")


def save_segments(client: httpx.Client, console: Console) -> None:
    """The lifecycle templates (docs/segments.md), each saved as a segment."""
    from unicx.segments.templates import TEMPLATES

    for template in TEMPLATES:
        saved = _ok(client.post(f"/v1/segments/templates/{template.key}"), "segment", status=201)
        console.print(f"segment [bold]{saved['name']}[/]: {saved['size']:,} people")


def train_models(client: httpx.Client, console: Console) -> dict[str, str]:
    """CLV, churn and recommendations (and whatever else trains), with their key figures."""
    runs = _ok(client.post("/v1/models/train"), "training")
    for run in runs:
        figures = _figures(run["model"], run["metrics"])
        took = f"{run['seconds']:.0f} s"
        console.print(
            f"model [bold]{run['model']}[/]: {run['status']} {figures}{run['message']}{took}"
        )
    return {run["model"]: run["status"] for run in runs}


def _figures(model: str, metrics: dict[str, Any]) -> str:
    keys = {
        "clv": ("buyers", "repeat_buyers"),
        "churn": ("auc", "baseline_recency_auc", "test_examples"),
        "recommend": ("interactions", "people", "items"),
    }.get(model, ())
    shown = [f"{k}={metrics[k]}" for k in keys if k in metrics]
    return f"({', '.join(shown)}) " if shown else ""


def build_personas(client: httpx.Client, console: Console) -> None:
    """Five personas from the buyers; a small demo (--users) may have too few: said, skipped."""
    res = client.post("/v1/segments/personas")
    if res.status_code != 200:
        console.print(f"personas: skipped ({_reason(res)})")
        return
    for persona in res.json()["personas"]:
        console.print(f"persona [bold]{persona['name']}[/]: {persona['size']:,} people")


# A person who put something in the cart and left: two minutes later, a nudge. The web
# version lands in the person's on-site inbox (GET /v1/profiles/{id}/messages?channel=web),
# the e-mail version in the demo's SMTP sink.
WEB_JOURNEY: dict[str, Any] = {
    "name": "Giỏ hàng bị bỏ quên (web)",
    "entry": {"type": "event", "event": "Product Added"},
    "exit_when": [{"event": "Order Completed"}],
    "goal": {"event": "Order Completed", "within": "7d"},
    "holdout_percent": 10,
    "start": "wait",
    "nodes": {
        "wait": {"type": "wait", "for": WAIT_BEFORE_NUDGE, "next": "nudge", "stage": "intent"},
        "nudge": {
            "type": "message",
            "channel": "web",
            "stage": "intent",
            "content": {
                "title": "{{ traits.firstName | default('Bạn') }} ơi, giỏ hàng vẫn đang chờ",
                "body": "Hoàn tất đơn hôm nay để nhận miễn phí vận chuyển.",
            },
            "next": "done",
        },
        "done": {"type": "exit"},
    },
}
_EMAIL_HTML = (
    "<p>Chào {{ traits.firstName | default('bạn') }},</p>"
    "<p>Giỏ hàng của bạn ở Chợ Xinh vẫn đang chờ. Hoàn tất đơn hôm nay để nhận miễn phí "
    "vận chuyển cho đơn từ 499.000 ₫.</p>"
    "{% if recommendations %}<p>Có thể bạn cũng thích:</p><ul>{% for r in recommendations %}"
    "<li>{{ r.name }}</li>{% endfor %}</ul>{% endif %}"
    '<p><a href="https://choxinh.example/gio-hang">Xem giỏ hàng</a></p>'
    '<p><a href="{{ message.unsubscribe_url }}">Hủy đăng ký</a></p>'
)


def email_journey() -> dict[str, Any]:
    journey = copy.deepcopy(WEB_JOURNEY)
    journey["name"] = "Giỏ hàng bị bỏ quên (email)"
    journey["nodes"]["nudge"] |= {
        "channel": "email",
        "content": {
            "subject": "{{ traits.firstName | default('Bạn') }} ơi, giỏ hàng vẫn đang chờ",
            "html": _EMAIL_HTML,
        },
    }
    return journey


def publish_journeys(
    client: httpx.Client, console: Console, *, wait: str = WAIT_BEFORE_NUDGE
) -> None:
    """Published after the history: a journey enters people on events received once it is
    live, and a year-old cart is no reason for an e-mail today."""
    for definition in (email_journey(), copy.deepcopy(WEB_JOURNEY)):
        definition["nodes"]["wait"]["for"] = wait
        created = _ok(
            client.post("/v1/journeys", json={"definition": definition}), "journey", status=201
        )
        _ok(client.post(f"/v1/journeys/{created['journey_id']}/publish"), "journey publish")
        console.print(f"journey [bold]{definition['name']}[/]: published")
