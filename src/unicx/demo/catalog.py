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
    name_en: str = ""
    category_en: str = ""


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
# category key: (Vietnamese label, English label, ((Vietnamese name, English name, price), ...))
_CATEGORIES: dict[str, tuple[str, str, tuple[tuple[str, str, int], ...]]] = {
    "TE": ("Trà", "Tea", (
        ("Trà ô long Bảo Lộc 200g", "Bao Loc oolong tea 200g", 120_000),
        ("Trà Shan tuyết cổ thụ Hà Giang 100g", "Ha Giang ancient Shan tuyet tea 100g", 250_000),
        ("Trà sen Tây Hồ hộp quà", "West Lake lotus tea gift box", 690_000),
        ("Trà xanh Thái Nguyên 500g", "Thai Nguyen green tea 500g", 180_000),
        ("Trà lài túi lọc 25 gói", "Jasmine tea bags, 25 pack", 45_000),
        ("Bộ ấm chén gốm Bát Tràng", "Bat Trang ceramic tea set", 450_000),
        ("Trà atiso Đà Lạt 100 túi", "Da Lat artichoke tea, 100 bags", 95_000),
        ("Matcha Nhật Bản 100g", "Japanese matcha 100g", 320_000),
    )),
    "CF": ("Cà phê", "Coffee", (
        ("Cà phê rang xay Buôn Ma Thuột 500g", "Buon Ma Thuot ground coffee 500g", 145_000),
        ("Cà phê hạt Arabica Cầu Đất 1kg", "Cau Dat Arabica beans 1kg", 420_000),
        ("Cà phê Robusta hạt rang mộc 500g", "Pure roasted Robusta beans 500g", 160_000),
        ("Cà phê sữa hòa tan 3in1 hộp 20 gói", "3-in-1 instant milk coffee, 20 sachets", 65_000),
        ("Phin nhôm pha cà phê", "Aluminium coffee phin filter", 35_000),
        ("Cà phê chồn Weasel 250g", "Weasel coffee 250g", 890_000),
        ("Cold brew đóng chai 6 chai", "Bottled cold brew, 6 pack", 210_000),
        ("Máy xay cà phê cầm tay", "Hand coffee grinder", 590_000),
    )),
    "BE": ("Bia", "Beer", (
        ("Bia Hà Nội thùng 24 lon", "Hanoi beer, case of 24 cans", 285_000),
        ("Bia Sài Gòn Special thùng 24 lon", "Saigon Special beer, case of 24", 395_000),
        ("Bia thủ công IPA Pasteur Street 4 chai", "Pasteur Street IPA craft beer, 4 bottles",
         260_000),
        ("Bia Huda thùng 24 lon", "Huda beer, case of 24 cans", 300_000),
        ("Bia đen stout thủ công 6 chai", "Craft stout, 6 bottles", 330_000),
        ("Bia lúa mì Bỉ 4 chai", "Belgian wheat beer, 4 bottles", 240_000),
    )),
    "WH": ("Rượu whisky", "Whisky", (
        ("Whisky Scotland single malt 12 năm 700ml", "12-year Scotch single malt 700ml", 1_450_000),
        ("Whisky Nhật blended 700ml", "Japanese blended whisky 700ml", 1_290_000),
        ("Bourbon Kentucky 750ml", "Kentucky bourbon 750ml", 890_000),
        ("Whisky Ireland 700ml", "Irish whiskey 700ml", 760_000),
        ("Bộ ly whisky pha lê 2 chiếc", "Crystal whisky glasses, set of 2", 350_000),
        ("Whisky Scotland 18 năm hộp quà", "18-year Scotch gift box", 3_900_000),
    )),
    "SA": ("Rượu sake", "Sake", (
        ("Sake Junmai Daiginjo 720ml", "Junmai Daiginjo sake 720ml", 1_150_000),
        ("Sake Junmai 300ml", "Junmai sake 300ml", 390_000),
        ("Rượu mơ Umeshu 720ml", "Umeshu plum wine 720ml", 520_000),
        ("Sake có ga 300ml", "Sparkling sake 300ml", 280_000),
        ("Bộ chén sake gốm 5 món", "Ceramic sake set, 5 pieces", 420_000),
    )),
    "FA": ("Thời trang", "Fashion", (
        ("Áo thun cotton nam cổ tròn", "Men's cotton crew-neck T-shirt", 159_000),
        ("Áo sơ mi nữ công sở tay dài", "Women's long-sleeve office shirt", 289_000),
        ("Quần jean nữ ống suông", "Women's straight-leg jeans", 399_000),
        ("Váy liền thân hoa nhí", "Floral print dress", 459_000),
        ("Áo khoác gió chống nắng", "Sun-protection windbreaker", 259_000),
        ("Áo dài lụa truyền thống", "Traditional silk ao dai", 1_250_000),
        ("Giày sneaker trắng unisex", "White unisex sneakers", 690_000),
        ("Túi xách nữ da PU", "Women's PU leather handbag", 549_000),
        ("Balo laptop chống nước", "Waterproof laptop backpack", 429_000),
    )),
    "CO": ("Mỹ phẩm", "Cosmetics", (
        ("Sữa rửa mặt trà xanh 150ml", "Green tea facial cleanser 150ml", 119_000),
        ("Kem chống nắng SPF50+ 50ml", "SPF50+ sunscreen 50ml", 285_000),
        ("Son kem lì màu đỏ gạch", "Brick red matte liquid lipstick", 199_000),
        ("Nước tẩy trang micellar 400ml", "Micellar cleansing water 400ml", 169_000),
        ("Serum vitamin C 30ml", "Vitamin C serum 30ml", 390_000),
        ("Mặt nạ giấy nha đam hộp 10 miếng", "Aloe sheet masks, box of 10", 99_000),
        ("Kem dưỡng ẩm ban đêm 50g", "Night moisturizer 50g", 320_000),
        ("Phấn nước cushion tông sáng", "Light-tone cushion foundation", 350_000),
        ("Dầu gội bưởi 300ml", "Pomelo shampoo 300ml", 145_000),
    )),
    "EL": ("Điện tử", "Electronics", (
        ("Tai nghe Bluetooth chống ồn", "Noise-cancelling Bluetooth headphones", 890_000),
        ("Sạc dự phòng 20000mAh", "20000mAh power bank", 459_000),
        ("Cáp sạc nhanh USB-C 1m", "USB-C fast charging cable 1m", 89_000),
        ("Loa Bluetooth mini chống nước", "Waterproof mini Bluetooth speaker", 690_000),
        ("Đồng hồ thông minh đo nhịp tim", "Smartwatch with heart-rate sensor", 1_490_000),
        ("Bàn phím cơ RGB", "RGB mechanical keyboard", 1_190_000),
        ("Điện thoại Android 6.7 inch 128GB", "6.7-inch Android phone 128GB", 4_990_000),
        ("Máy tính bảng 10 inch 64GB", "10-inch tablet 64GB", 3_690_000),
        ("Camera wifi an ninh 360 độ", "360° Wi-Fi security camera", 590_000),
    )),
}
# Fashion and beauty dominate Vietnamese e-commerce; tea and coffee are the repeat buys.
CATEGORY_WEIGHTS = (12, 12, 8, 5, 4, 22, 22, 15)
# Categories bought together (a whisky buyer looks at sake and glasses): the second
# category a person browses besides the favorite.
AFFINITY = {"Trà": "Cà phê", "Cà phê": "Trà", "Bia": "Rượu whisky", "Rượu whisky": "Rượu sake",
            "Rượu sake": "Rượu whisky", "Thời trang": "Mỹ phẩm", "Mỹ phẩm": "Thời trang",
            "Điện tử": "Cà phê"}

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

CITIES = (  # (province or city, weight): the two metropolises carry most online retail
    ("TP. Hồ Chí Minh", 30), ("Hà Nội", 25), ("Đà Nẵng", 6), ("Hải Phòng", 5), ("Cần Thơ", 4),
    ("Đồng Nai", 4), ("Bình Dương", 4), ("Khánh Hòa", 3), ("Huế", 3), ("Bà Rịa - Vũng Tàu", 2),
    ("Đắk Lắk", 2), ("Bình Định", 2), ("Thái Nguyên", 2), ("Nghệ An", 2), ("Quảng Ninh", 2),
    ("Lâm Đồng", 2), ("Bắc Ninh", 2), ("Thanh Hóa", 2), ("Kiên Giang", 1), ("An Giang", 1),
    ("Lào Cai", 1), ("Quảng Nam", 1), ("Long An", 1), ("Hà Giang", 1),
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
    Abroad("Seoul", "South Korea", "Asia/Seoul", "ko-KR", "+8210", 8,
           (("Min-jun", "Kim"), ("Seo-yeon", "Park"), ("Ji-ho", "Lee"))),
    Abroad("Sydney", "Australia", "Australia/Sydney", "en-AU", "+614", 8,
           (("Olivia", "Smith"), ("Jack", "Wilson"), ("Thao", "Tran"))),
    Abroad("Paris", "France", "Europe/Paris", "fr-FR", "+336", 8,
           (("Camille", "Martin"), ("Louis", "Bernard"), ("Linh", "Pham"))),
    Abroad("London", "United Kingdom", "Europe/London", "en-GB", "+447700", 6,
           (("Oliver", "Taylor"), ("Amelia", "Brown"), ("Harry", "Evans"))),
    Abroad("Berlin", "Germany", "Europe/Berlin", "de-DE", "+49151", 8,
           (("Lukas", "Müller"), ("Anna", "Schmidt"), ("Duc", "Nguyen"))),
    Abroad("Bangkok", "Thailand", "Asia/Bangkok", "th-TH", "+668", 8,
           (("Somchai", "Sukjai"), ("Nattaya", "Wongsa"), ("Anan", "Chaiyo"))),
)
SHARE_ABROAD = 0.12  # Việt kiều, expats' families and tourists who keep ordering gifts

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
SEARCHES = ("kem chống nắng", "tai nghe bluetooth", "ao thun nam", "trà ô long", "ca phe phin",
            "son kem", "sạc dự phòng", "vay hoa nhi", "whisky 12 nam", "sake", "bia thủ công",
            "áo dài", "matcha")
PAYMENT_METHODS = (("COD", 45), ("MoMo", 20), ("VNPay", 12), ("ZaloPay", 10), ("card", 8),
                   ("bank_transfer", 5))
# fmt: on


def _products() -> tuple[Product, ...]:
    out: list[Product] = []
    for prefix, (category, category_en, items) in _CATEGORIES.items():
        for n, (name, name_en, price) in enumerate(items, start=1):
            pid = str(1000 + len(out) + 1)
            sku = f"{prefix}-{n:03d}"
            out.append(Product(pid, sku, name, category, price, name_en, category_en))
    return tuple(out)


PRODUCTS = _products()
CATEGORIES = tuple(category for category, _, _ in _CATEGORIES.values())
CATEGORIES_EN = {category: english for category, english, _ in _CATEGORIES.values()}
