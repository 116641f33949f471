"""Realistic Segment events for the ingest benchmark: a Vietnamese storefront's web and app traffic.

Everything is generated from a seed and pre-encoded, so the load generator only writes bytes to
sockets and the measurement is of the server, not of the client building JSON.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

# Real agents seen on Vietnamese e-commerce sites: Chrome/Coc Coc/Edge/Firefox on Windows and
# macOS, Safari and in-app browsers (Zalo, Facebook) on iOS, Samsung/Xiaomi/Oppo on Android,
# plus the SDKs and a crawler, so the device parser sees every branch it has.
USER_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.92",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/118.0.244 Chrome/112.0.5615.244 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/120.0.312 Chrome/114.0.5735.312 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_8_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.71 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Zalo iOS/452 ZaloTheme/light ZaloLanguage/vn",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E219 [FBAN/FBIOS;FBAV/458.0.0.39.109;FBBV/585476032;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/vi_VN;FBOP/5]",
    "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A325F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.119 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SAMSUNG SM-A525F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; 2201117TY) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.178 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 13; vi-vn; 23021RAAEG Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.8.0-gn",
    "Mozilla/5.0 (Linux; Android 13; CPH2387) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.99 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; CPH2269) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; RMX2185) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.193 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; V2207) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 Zalo android/12110721 ZaloTheme/light ZaloLanguage/vi",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-X205) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; Lenovo TB-8506F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.54 Mobile Safari/537.36 OPR/81.1.4292.78223",
    "Mozilla/5.0 (Linux; Android 14; 23108RN04Y Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/460.0.0.48.109;]",
    "Mozilla/5.0 (Linux; Android 10; SM-G973F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.111 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) coc_coc_browser/121.0.300 Chrome/115.0.5790.300 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "analytics-python/2.3.2",
    "okhttp/4.12.0",
    "Dalvik/2.1.0 (Linux; U; Android 13; SM-A546E Build/TP1A.220624.014)",
)

_PRODUCTS: tuple[tuple[str, str, str, int], ...] = (
    ("sku-ao-dai-01", "Áo dài lụa tơ tằm", "Thời trang", 1_250_000),
    ("sku-ca-phe-02", "Cà phê Robusta Buôn Ma Thuột 500g", "Thực phẩm", 185_000),
    ("sku-non-la-03", "Nón lá Huế", "Quà lưu niệm", 95_000),
    ("sku-tra-sen-04", "Trà sen Tây Hồ hộp 100g", "Thực phẩm", 420_000),
    ("sku-dep-05", "Dép cao su Bitis Hunter", "Giày dép", 890_000),
    ("sku-nuoc-mam-06", "Nước mắm Phú Quốc 40 độ đạm", "Thực phẩm", 135_000),
    ("sku-tai-nghe-07", "Tai nghe không dây", "Điện tử", 2_490_000),
    ("sku-sac-08", "Sạc dự phòng 20000mAh", "Điện tử", 650_000),
)
_CITIES = ("Hồ Chí Minh", "Hà Nội", "Đà Nẵng", "Cần Thơ", "Hải Phòng", "Nha Trang", "Huế")
_NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Võ Minh Đức")
_PAGES = ("/", "/danh-muc/thuc-pham", "/san-pham/ca-phe-robusta", "/gio-hang", "/khuyen-mai")
_TRACK = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")


def _context(rng: random.Random, path: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "library": {"name": "analytics.js", "version": "4.1.0"},
        "userAgent": rng.choice(USER_AGENTS),
        "timezone": "Asia/Ho_Chi_Minh",
        "locale": "vi-VN",
        "ip": f"113.161.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "page": {"path": path, "url": f"https://shop.example.vn{path}", "referrer": ""},
    }
    if rng.random() < 0.3:
        ctx["campaign"] = {"source": "facebook", "medium": "cpc", "name": "tet-2025"}
    return ctx


def _product(rng: random.Random) -> dict[str, Any]:
    sku, name, category, price = rng.choice(_PRODUCTS)
    return {
        "product_id": sku,
        "name": name,
        "category": category,
        "price": price,
        "quantity": rng.randint(1, 3),
        "currency": "VND",
    }


def make_event(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    """One event of a 60/15/25 track/identify/page mix with a unique messageId."""
    user = rng.randrange(50_000)
    when = now - timedelta(seconds=rng.uniform(0, 3600))
    path = rng.choice(_PAGES)
    event: dict[str, Any] = {
        "messageId": f"bench-{seq:09d}-{rng.getrandbits(48):012x}",
        "anonymousId": f"anon-{user:06d}",
        "timestamp": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "context": _context(rng, path),
    }
    if user % 3:
        event["userId"] = f"u{user}"
    roll = rng.random()
    if roll < 0.60:
        name = rng.choice(_TRACK)
        products = [_product(rng) for _ in range(rng.randint(1, 2))]
        revenue = sum(p["price"] * p["quantity"] for p in products)
        event.update(
            type="track",
            event=name,
            properties={
                "order_id": f"DH{seq:08d}" if name == "Order Completed" else None,
                "products": products,
                "revenue": revenue,
                "currency": "VND",
            },
        )
    elif roll < 0.75:
        event.update(
            type="identify",
            userId=f"u{user}",
            traits={
                "name": rng.choice(_NAMES),
                "email": f"khach{user}@example.vn",
                "phone": f"+849{user:08d}",
                "city": rng.choice(_CITIES),
                "plan": "member",
            },
        )
    else:
        event.update(
            type="page",
            name=path.strip("/") or "home",
            properties={
                "path": path,
                "title": "Cửa hàng",
                "url": f"https://shop.example.vn{path}",
            },
        )
    return event


def make_events(count: int, *, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [make_event(rng, seq, now) for seq in range(count)]


def batch_bodies(events: list[dict[str, Any]], size: int) -> list[bytes]:
    """``/v1/batch`` bodies; sentAt as the SDKs set it, so the server corrects clock skew."""
    sent_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        orjson.dumps({"batch": events[i : i + size], "sentAt": sent_at})
        for i in range(0, len(events), size)
    ]


def single_bodies(events: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    """(path, body) for one-event calls: ``/v1/track`` etc., the type taken from the path."""
    return [(f"/v1/{e['type']}", orjson.dumps(e)) for e in events]
