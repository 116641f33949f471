"""A CRM file of Vietnamese namesakes (issue 15 §4): 300 different people sharing the six
commonest full names, each with their own e-mail, phone, house number and birth date, on three
street names of one city; plus true duplicates, written again as a second system would.

Birth dates fall in six years, so namesakes often share a birth year (and sometimes a month):
what made round 1 merge them.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from unicx.identity.normalize import fold_name

NAMES = (
    "Nguyễn Văn Hùng",
    "Lê Thị Hương",
    "Nguyễn Thị Lan",
    "Trần Văn Nam",
    "Phạm Thị Hoa",
    "Nguyễn Văn Dũng",
)
STREETS = ("Nguyễn Trãi", "Lê Lợi", "Cách Mạng Tháng Tám")
CITY = "TP. Hồ Chí Minh"
HEADER = ("Mã KH", "Họ tên", "Email", "SĐT", "Ngày sinh", "Địa chỉ", "Thành phố")
MAPPING = (
    "full_name=Họ tên,email=Email,phone=SĐT,birth_date=Ngày sinh,address=Địa chỉ,city=Thành phố"
)
PEOPLE = 300
MOBILE = ("090", "091", "093", "097", "098")


@dataclass
class Person:
    key: str
    name: str
    email: str
    phone: str  # 0… national form
    dob: date
    house: int
    street: str

    @property
    def address(self) -> str:
        return f"{self.house} {self.street}, Quận 1"

    def row(self) -> list[str]:
        return [self.key, self.name, self.email, self.phone, self.dob.strftime("%d/%m/%Y"),
                self.address, CITY]  # fmt: skip


def people(seed: int = 15) -> list[Person]:
    rng = random.Random(seed)
    phones = rng.sample(range(10**7), PEOPLE)
    houses = rng.sample(range(1, 999), PEOPLE)
    out = []
    for i in range(PEOPLE):
        name = NAMES[i % len(NAMES)]
        # name + a number, as most addresses here are: namesakes differ in the digits only.
        local = fold_name(name).replace(" ", "") + str(i)
        phone = MOBILE[i % len(MOBILE)] + f"{phones[i]:07d}"
        out.append(
            Person(
                key=f"KH{i:03d}", name=name, email=f"{local}@gmail.com", phone=phone,
                dob=date(1985, 1, 1) + timedelta(days=rng.randrange(6 * 365)),
                house=houses[i], street=STREETS[i % len(STREETS)],
            )
        )  # fmt: skip
    return out


def _plain(text: str) -> str:
    return " ".join(w.capitalize() for w in fold_name(text).split())


def duplicates(persons: list[Person]) -> dict[str, tuple[str, list[str]]]:
    """key → (key of the person it duplicates, the row). ``dup-weak`` has no strong signal.
    An import row needs an e-mail or phone: rows without the person's own carry a second
    address of theirs (a work e-mail), which disagrees with the first."""
    p0, p1, p2, p3, p4 = persons[0], persons[7], persons[14], persons[21], persons[28]
    international = "+84 " + p0.phone[1:4] + " " + p0.phone[4:7] + " " + p0.phone[7:]
    typo = p1.email.replace("gmail", "gmial").replace("nguyen", "nguyn", 1)
    one_digit_off = p3.phone[:-1] + str((int(p3.phone[-1]) + 1) % 10)
    iso, dmy = p2.dob.isoformat(), p4.dob.strftime("%d/%m/%Y")
    return {
        # No diacritics, the phone written +84: the same phone, linked deterministically.
        "dup-phone": (p0.key, ["", _plain(p0.name), "", international, "", "", "HCM"]),
        # A typo'd e-mail (letters, not digits), the same birth date and address.
        "dup-email": (
            p1.key,
            ["", _plain(p1.name), typo, "", p1.dob.strftime("%d/%m/%Y"), _plain(p1.address), CITY],
        ),
        # Neither phone nor e-mail: full birth date plus house number and street.
        "dup-dob-address": (
            p2.key,
            [
                "",
                p2.name,
                "hung.kt@congty.vn",
                "",
                iso,
                f"Số {p2.house} {_plain(p2.street)} Q.1",
                "Sài Gòn",
            ],
        ),
        # A phone one digit off.
        "dup-phone-typo": (p3.key, ["", _plain(p3.name), "", one_digit_off, "", "", CITY]),
        # Same name and birth date, no address, phone or e-mail: likely, not sure → review.
        "dup-weak": (p4.key, ["", _plain(p4.name), "hoa.pham@congty.vn", "", dmy, "", CITY]),
    }


def write(path: Path, persons: list[Person], dups: dict[str, tuple[str, list[str]]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(p.row() for p in persons)
        out.writerows([key, *row[1:]] for key, (_, row) in dups.items())
    return path
