"""A labelled Vietnamese CRM set for bench/identity.py: people written once, some written again
the way a second system would (no diacritics, typos, middle name dropped, day/month swapped,
phones as 09… or +84 …, addresses abbreviated), with a fixed seed.

Names follow the real frequency of family names (Nguyễn ≈ 38 %), so namesakes are common and
the benchmark measures what matters here: not merging two different "Nguyễn Văn An".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from unicx.identity.normalize import fold_name, normalize_phone

FAMILY = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Huỳnh": 4, "Phan": 4.5,
    "Vũ": 3.9, "Võ": 3, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3,
    "Dương": 1, "Lý": 0.5,
}  # fmt: skip
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Công", "Xuân", "Hoàng", "Tuấn"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Bích", "Mai", "Phương", "Hồng", "Thùy"]
GIVEN_M = [
    "An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu", "Hòa",
    "Hoàng", "Hùng", "Huy", "Khang", "Khoa", "Kiên", "Long", "Lộc", "Minh", "Nam", "Nghĩa",
    "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn",
    "Trung", "Tuấn", "Tùng", "Việt", "Vinh"
]  # fmt: skip
GIVEN_F = [
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hân", "Hằng", "Hạnh", "Hiền", "Hoa", "Hồng",
    "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung",
    "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Thu", "Thúy", "Trang", "Trâm", "Uyên", "Vân",
    "Vy", "Xuân", "Yến"
]  # fmt: skip
CITIES = {
    "Hồ Chí Minh": (45, ["Nguyễn Trãi", "Lê Lợi", "Điện Biên Phủ", "Cách Mạng Tháng Tám",
                         "Võ Văn Tần", "Phan Xích Long", "Nguyễn Thị Minh Khai"], 12),
    "Hà Nội": (35, ["Láng Hạ", "Kim Mã", "Giải Phóng", "Trần Duy Hưng", "Xuân Thủy",
                    "Nguyễn Chí Thanh", "Hoàng Quốc Việt"], 10),
    "Đà Nẵng": (20, ["Bạch Đằng", "Nguyễn Văn Linh", "Hùng Vương", "Lê Duẩn", "Trần Phú"], 6),
}  # fmt: skip
CITY_SPELLINGS = {
    "Hồ Chí Minh": ["TP. Hồ Chí Minh", "Ho Chi Minh", "TP HCM", "HCM", "Sài Gòn"],
    "Hà Nội": ["Ha Noi", "Hanoi", "TP. Hà Nội", "HN"],
    "Đà Nẵng": ["Da Nang", "TP. Đà Nẵng", "Danang"],
}
MOBILE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "032", "035", "038",
                   "070", "077", "079", "081", "083", "085", "086", "088"]  # fmt: skip


@dataclass
class Person:
    family: str
    middle: str
    given: str
    dob: date
    phone: str
    city: str
    address: str
    email: str


def _person(rng: random.Random) -> Person:
    male = rng.random() < 0.5
    family = rng.choices(list(FAMILY), weights=list(FAMILY.values()))[0]
    middle = rng.choice(MIDDLE_M if male else MIDDLE_F)
    given = rng.choice(GIVEN_M if male else GIVEN_F)
    city = rng.choices(list(CITIES), weights=[c[0] for c in CITIES.values()])[0]
    return Person(
        family=family, middle=middle, given=given,
        dob=date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55)),
        phone=_phone(rng), city=city, address=_address(rng, city),
        email=f"{fold_name(given + family).replace(' ', '')}{rng.randrange(1, 999)}@"
        f"{rng.choice(['gmail.com', 'yahoo.com', 'outlook.com'])}",
    )  # fmt: skip


def _phone(rng: random.Random) -> str:
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
        if normalize_phone(number):
            return number


def _address(rng: random.Random, city: str) -> str:
    _, streets, districts = CITIES[city]
    return f"{rng.randrange(1, 300)} {rng.choice(streets)}, Quận {rng.randrange(1, districts)}"


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.33:
        return word[:i] + word[i + 1 :]
    if kind < 0.66:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiouhnt") + word[i + 1 :]


def _record(p: Person, rng: random.Random, *, dup: bool) -> dict[str, Any]:
    family, middle, given = p.family, p.middle, p.given
    if dup and rng.random() < 0.15:
        given = _typo(rng, given)
    words = [family, given] if dup and rng.random() < 0.1 else [family, middle, given]
    rec: dict[str, Any] = {"full_name": None, "first_name": None, "last_name": None}
    if dup and rng.random() < 0.5:
        words = [fold_name(w).title() for w in words]
    if rng.random() < 0.3:
        rec["first_name"], rec["last_name"] = words[-1], " ".join(words[:-1])
    else:
        rec["full_name"] = " ".join(words)
    dob = p.dob
    if dup and dob.day <= 12 and dob.day != dob.month and rng.random() < 0.1:
        dob = date(dob.year, dob.day, dob.month)
    elif dup and rng.random() < 0.05:
        dob = dob + timedelta(days=rng.choice([-10, -1, 1, 10]))
    rec["birth_date"] = (
        None if rng.random() < 0.15
        else dob.strftime("%d/%m/%Y") if rng.random() < 0.5 else dob.isoformat()
    )  # fmt: skip
    phone = p.phone if not (dup and rng.random() < 0.1) else _phone(rng)
    if dup and rng.random() < 0.5:
        phone = f"+84 {phone[1:4]} {phone[4:7]} {phone[7:]}"
    rec["phone"] = normalize_phone(phone) if rng.random() < 0.8 else None
    rec["email"] = p.email if rng.random() < 0.5 else None
    if dup and rec["email"] and rng.random() < 0.5:
        rec["email"] = p.email.split("@")[0] + "@icloud.com"
    address = p.address
    if dup and rng.random() < 0.5:
        address = address.replace("Quận ", "Q.").replace(",", "")
    rec["address"] = address if rng.random() < 0.6 else None
    city = p.city if not dup else rng.choice([p.city, *CITY_SPELLINGS[p.city]])
    rec["city"] = city if rng.random() < 0.9 else None
    return rec


def generate(
    people: int = 5_000, duplicates: int = 2_000, seed: int = 7
) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    """(records with ``unique_id``, true pairs as sorted id tuples)."""
    rng = random.Random(seed)
    persons = [_person(rng) for _ in range(people)]
    return _with_duplicates(persons, duplicates, rng, prefix="v")


def _with_duplicates(
    persons: list[Person], duplicates: int, rng: random.Random, *, prefix: str
) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    """Every person written once, ``duplicates`` of them written again (random people, some
    more than once), and the true pairs."""
    records: list[dict[str, Any]] = []
    members: dict[int, list[str]] = {}
    for i, p in enumerate(persons):
        records.append({"unique_id": f"{prefix}{i}-0", **_record(p, rng, dup=False)})
        members[i] = [f"{prefix}{i}-0"]
    for k in range(duplicates):
        i = rng.randrange(len(persons))
        uid = f"{prefix}{i}-{k + 1}"
        records.append({"unique_id": uid, **_record(persons[i], rng, dup=True)})
        members[i].append(uid)
    truth = {
        (min(a, b), max(a, b))
        for ids in members.values()
        for x, a in enumerate(ids)
        for b in ids[x + 1 :]
    }
    return records, truth


# The namesake stress set: family names at their real frequency (FAMILY), middle and given
# names skewed as in life (Văn for half of the men, Thị for 60 % of the women, given names
# Zipf-distributed, the popular ones first), so thousands share a full name; three common streets
# per city. Every person has an e-mail and a phone of their own (not every record shows them).
# The most given tên first (approximate order of popularity), then the rest of the lists.
POPULAR_M = ["Hùng", "Dũng", "Minh", "Tuấn", "Nam", "Anh", "Hải", "Long", "Thắng", "Đức"]
POPULAR_F = ["Hương", "Lan", "Linh", "Trang", "Hoa", "Mai", "Hằng", "Thảo", "Ngọc", "Anh"]
GIVEN_BY_RANK = (POPULAR_M + [g for g in GIVEN_M if g not in POPULAR_M],
                 POPULAR_F + [g for g in GIVEN_F if g not in POPULAR_F])  # fmt: skip
NAMESAKE_STREETS = {city: (weight, streets[:3], 4) for city, (weight, streets, _) in
                    CITIES.items()}  # fmt: skip


def _skewed(rng: random.Random, names: list[str], first: str, share: float) -> str:
    if rng.random() < share:
        return first
    return rng.choices(names, weights=[1 / (rank + 1) for rank in range(len(names))])[0]


def _namesake(rng: random.Random, used: set[str]) -> Person:
    male = rng.random() < 0.5
    p = _person(rng)
    p.middle = _skewed(rng, MIDDLE_M if male else MIDDLE_F, "Văn" if male else "Thị",
                       0.5 if male else 0.6)  # fmt: skip
    p.given = _skewed(rng, GIVEN_BY_RANK[0 if male else 1], "", 0.0)
    _, streets, districts = NAMESAKE_STREETS[p.city]
    p.address = f"{rng.randrange(1, 300)} {rng.choice(streets)}, Quận {rng.randrange(1, districts)}"
    while True:  # an address is one person's: namesakes pick other numbers
        local = fold_name(p.given + p.family).replace(" ", "") + str(rng.randrange(1, 9999))
        p.email = f"{local}@{rng.choice(['gmail.com', 'yahoo.com', 'outlook.com'])}"
        if p.email not in used and p.phone not in used:
            used.update((p.email, p.phone))
            return p
        p.phone = _phone(rng)


def generate_namesakes(
    people: int = 10_000, duplicates: int = 1_000, seed: int = 15
) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    """The namesake stress set: (records with ``unique_id``, true pairs)."""
    rng = random.Random(seed)
    used: set[str] = set()
    persons = [_namesake(rng, used) for _ in range(people)]
    return _with_duplicates(persons, duplicates, rng, prefix="ns")
