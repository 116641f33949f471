"""Static data of the demo retailer "Chợ Xinh": products, names, places, devices, traffic sources.

Everything here is fictional. The shop lives under the reserved ``.example`` domain so nothing in
a demo workspace links to a real site; prices are VND with VAT included, as Vietnamese shops show
them. The tables are kept one row per line, hence the formatter is off for them.
"""

from __future__ import annotations

from dataclasses import dataclass

SHOP_NAME = "Chợ Xinh"
SHOP_URL = "https://choxinh.example"
APP_INFO = {"name": SHOP_NAME, "version": "4.2.0", "build": "420", "namespace": "example.choxinh"}
LIBRARIES = {
    "web": {"name": "analytics.js", "version": "next-1.70.0"},
    "ios": {"name": "analytics-ios", "version": "4.1.8"},
    "android": {"name": "analytics-android", "version": "4.11.3"},
}


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    sku: str
    name: str
    category: str
    price: int


@dataclass(frozen=True, slots=True)
class Abroad:
    """Where a foreign visitor lives, and how their names and phone numbers look."""

    city: str
    country: str
    timezone: str
    locale: str
    phone_prefix: str
    phone_digits: int
    names: tuple[tuple[str, str], ...]  # (first, last)


# fmt: off
_CATEGORIES: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "FA": ("Thời trang", (
        ("Áo thun cotton nam cổ tròn", 159_000), ("Áo sơ mi nữ công sở tay dài", 289_000),
        ("Quần jean nữ ống suông", 399_000), ("Quần kaki nam slim fit", 349_000),
        ("Váy liền thân hoa nhí", 459_000), ("Áo khoác gió chống nắng", 259_000),
        ("Áo dài lụa truyền thống", 1_250_000), ("Giày sneaker trắng unisex", 690_000),
        ("Dép quai ngang thể thao", 129_000), ("Túi xách nữ da PU", 549_000),
        ("Balo laptop chống nước", 429_000), ("Mũ bảo hiểm nửa đầu", 189_000),
    )),
    "CO": ("Mỹ phẩm", (
        ("Sữa rửa mặt trà xanh 150ml", 119_000), ("Kem chống nắng SPF50+ 50ml", 285_000),
        ("Son kem lì màu đỏ gạch", 199_000), ("Nước tẩy trang micellar 400ml", 169_000),
        ("Serum vitamin C 30ml", 390_000), ("Mặt nạ giấy nha đam hộp 10 miếng", 99_000),
        ("Kem dưỡng ẩm ban đêm 50g", 320_000), ("Dầu gội bưởi 300ml", 145_000),
        ("Phấn nước cushion tông sáng", 350_000), ("Nước hoa hồng không cồn 250ml", 175_000),
        ("Sữa tắm hương hoa sen 900g", 159_000), ("Bộ cọ trang điểm 12 cây", 229_000),
    )),
    "EL": ("Điện tử", (
        ("Tai nghe Bluetooth chống ồn", 890_000), ("Sạc dự phòng 20000mAh", 459_000),
        ("Cáp sạc nhanh USB-C 1m", 89_000), ("Loa Bluetooth mini chống nước", 690_000),
        ("Đồng hồ thông minh đo nhịp tim", 1_490_000), ("Chuột không dây văn phòng", 199_000),
        ("Bàn phím cơ RGB", 1_190_000), ("Điện thoại Android 6.7 inch 128GB", 4_990_000),
        ("Máy tính bảng 10 inch 64GB", 3_690_000), ("Camera wifi an ninh 360 độ", 590_000),
        ("Ốp lưng điện thoại silicon", 59_000), ("Router wifi 6 băng tần kép", 1_290_000),
    )),
    "GR": ("Thực phẩm", (
        ("Gạo ST25 túi 5kg", 185_000), ("Cà phê rang xay Buôn Ma Thuột 500g", 145_000),
        ("Nước mắm Phú Quốc 40 độ đạm 500ml", 79_000), ("Trà ô long Bảo Lộc 200g", 120_000),
        ("Hạt điều rang muối Bình Phước 500g", 210_000), ("Mì tôm chua cay thùng 30 gói", 115_000),
        ("Sữa tươi không đường thùng 48 hộp", 379_000), ("Bánh pía sầu riêng Sóc Trăng", 89_000),
        ("Mật ong hoa cà phê 500ml", 165_000), ("Dầu ăn đậu nành 2 lít", 99_000),
        ("Khô gà lá chanh 300g", 135_000), ("Trái cây sấy Đà Lạt 500g", 149_000),
    )),
    "HO": ("Nhà cửa", (
        ("Nồi cơm điện 1.8 lít", 890_000), ("Chảo chống dính 28cm", 329_000),
        ("Bộ chăn ga gối cotton 1m8", 799_000), ("Quạt đứng 5 cánh", 590_000),
        ("Máy lọc không khí 30m²", 2_490_000), ("Bình giữ nhiệt inox 500ml", 179_000),
        ("Đèn bàn LED chống cận", 259_000), ("Nồi chiên không dầu 5.5 lít", 1_390_000),
        ("Bộ dao nhà bếp 5 món", 349_000), ("Kệ để giày 5 tầng", 219_000),
        ("Cây lau nhà xoay 360 độ", 249_000), ("Máy xay sinh tố đa năng", 690_000),
    )),
}
CATEGORY_WEIGHTS = (30, 25, 15, 15, 15)  # fashion and beauty dominate Vietnamese e-commerce

FAMILY_NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
)
# Weighted like the real distribution: about four in ten Vietnamese are Nguyễn.
FAMILY_WEIGHTS = (38, 11, 9, 7, 5, 4, 4, 4, 3, 2, 2, 2, 2, 1, 1, 1)
MIDDLE_NAMES = {"m": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Gia"),
                "f": ("Thị", "Ngọc", "Thu", "Thanh", "Bảo", "Mỹ")}
GIVEN_NAMES = {
    "m": ("An", "Bình", "Dũng", "Hải", "Hiếu", "Hùng", "Khánh", "Long", "Minh", "Nam", "Quân",
          "Sơn", "Thắng", "Trung", "Tuấn", "Việt", "Đạt", "Phúc"),
    "f": ("Anh", "Châu", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc",
          "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Vy", "Yến"),
}

CITIES = (  # (city, weight): the two metropolises carry most online retail
    ("TP. Hồ Chí Minh", 34), ("Hà Nội", 28), ("Đà Nẵng", 7), ("Hải Phòng", 6), ("Cần Thơ", 5),
    ("Biên Hòa", 4), ("Nha Trang", 3), ("Huế", 3), ("Vũng Tàu", 2), ("Buôn Ma Thuột", 2),
    ("Quy Nhơn", 2), ("Thái Nguyên", 2), ("Vinh", 2),
)
VN_MOBILE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "032", "035", "038",
                      "070", "077", "079", "081", "083", "085", "086", "088", "089")
FOREIGN = (
    Abroad("Singapore", "Singapore", "Asia/Singapore", "en-US", "+659", 7,
           (("Wei Ling", "Tan"), ("Jun Jie", "Lim"), ("Priya", "Nair"))),
    Abroad("San Jose", "United States", "America/Los_Angeles", "en-US", "+1408555", 4,
           (("Emily", "Carter"), ("Michael", "Brooks"), ("Sarah", "Nguyen"))),
    Abroad("Tokyo", "Japan", "Asia/Tokyo", "ja-JP", "+8190", 8,
           (("Yuki", "Tanaka"), ("Haruto", "Sato"), ("Aiko", "Suzuki"))),
)

FREE_MAIL = (("gmail.com", 62), ("yahoo.com.vn", 16), ("outlook.com", 7), ("icloud.com", 5))
COMPANIES = (  # (name, email domain, tax code, industry, employees): fictional B2B buyers
    ("Công ty TNHH Thương mại An Phát", "anphat-trading.vn", "0313456781", "Bán lẻ", 35),
    ("Công ty CP Công nghệ Sao Việt", "saoviet-tech.com.vn", "0108765432", "Công nghệ", 120),
    ("Công ty TNHH Dịch vụ Hoàng Long", "hoanglong-services.vn", "0401234567", "Dịch vụ", 60),
    ("Công ty CP Thực phẩm Miền Tây", "mientayfood.com.vn", "1801122334", "Thực phẩm", 210),
)

WEB_AGENTS = (  # (weight, user agent): mobile web is most Vietnamese traffic
    (20, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    (12, "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.6478.122 Mobile Safari/537.36"),
    (6, "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.6478.122 Mobile Safari/537.36"),
    (8, "Mozilla/5.0 (Linux; Android 13; 23021RAAEG) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/125.0.6422.165 Mobile Safari/537.36"),
    (7, "Mozilla/5.0 (Linux; Android 13; CPH2531) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.179 Mobile Safari/537.36"),
    (14, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"),
    (3, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"),
    (6, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "coc_coc_browser/124.0.242 Chrome/118.0.5993.242 Safari/537.36"),
    (6, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"),
    (3, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.5 Safari/605.1.15"),
    (3, "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1"),
)
# (weight, platform, manufacturer, model, os version, user agent of the app's web view)
APP_DEVICES = (
    (40, "ios", "Apple", "iPhone15,2", "17.5",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Mobile/15E148"),
    (25, "android", "samsung", "SM-A546E", "14",
     "Mozilla/5.0 (Linux; Android 14; SM-A546E Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.122 Mobile Safari/537.36"),
    (20, "android", "Xiaomi", "23021RAAEG", "13",
     "Mozilla/5.0 (Linux; Android 13; 23021RAAEG Build/TKQ1.221114.001; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/125.0.6422.165 Mobile Safari/537.36"),
    (15, "android", "OPPO", "CPH2531", "13",
     "Mozilla/5.0 (Linux; Android 13; CPH2531 Build/TP1A.220905.001; wv) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.179 Mobile Safari/537.36"),
)
CARRIERS = ("Viettel", "Vinaphone", "Mobifone")
# Documentation ranges (RFC 5737): they can never point at a real visitor.
IP_PREFIXES = ("203.0.113.", "198.51.100.", "192.0.2.")

# (weight, referrer, (utm source, medium, campaign) or None when the link carries no UTM tags)
TRAFFIC: tuple[tuple[int, str, tuple[str, str, str] | None], ...] = (
    (25, "", None),
    (22, "https://www.google.com/", None),
    (8, "https://www.google.com/", ("google", "cpc", "tim-kiem-thuong-hieu")),
    (12, "https://l.facebook.com/", ("facebook", "paid_social", "sale-cuoi-thang")),
    (8, "https://zalo.me/", ("zalo", "social", "zalo-oa-khach-quen")),
    (7, "https://www.tiktok.com/", ("tiktok", "paid_social", "livestream-20h")),
    (6, "", ("newsletter", "email", "ban-tin-hang-tuan")),
    (4, "https://coccoc.com/search", None),
)
SEARCHES = ("kem chống nắng", "tai nghe bluetooth", "ao thun nam", "nồi chiên không dầu",
            "gao st25", "son kem", "sạc dự phòng", "vay hoa nhi", "ca phe", "áo dài")
PAYMENT_METHODS = (("COD", 45), ("MoMo", 20), ("VNPay", 12), ("ZaloPay", 10), ("card", 8),
                   ("bank_transfer", 5))
# fmt: on


def _products() -> tuple[Product, ...]:
    out: list[Product] = []
    for prefix, (category, items) in _CATEGORIES.items():
        for n, (name, price) in enumerate(items, start=1):
            pid = str(1000 + len(out) + 1)
            out.append(Product(pid, f"{prefix}-{n:03d}", name, category, price))
    return tuple(out)


PRODUCTS = _products()
CATEGORIES = tuple(category for category, _ in _CATEGORIES.values())
