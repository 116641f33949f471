"""A rejected training run's reason in plain words: the trainers word it in English for the
API and CLI (unicx.predict.clv, .churn, unicx.recommend.train); the page recognises those
sentences and says them in the reader's language with what data would fix them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PATTERNS = {
    "clv": re.compile(
        r"too little order history: (?P<buyers>\d+) buyers and (?P<repeat>\d+) repeat buyers "
        r"\(needs (?P<need_buyers>\d+) and (?P<need_repeat>\d+)\)"
    ),
    "churn": re.compile(
        r"too few examples at the (?P<cutoff>\w+) cutoff: (?P<buyers>\d+) buyers, "
        r"(?P<churned>\d+) churned and (?P<stayed>\d+) stayed \(needs (?P<need_buyers>\d+) "
        r"buyers and (?P<need_each>\d+) of each\)"
    ),
    "recommend": re.compile(
        r"too few interactions: (?P<rows>\d+) from (?P<people>\d+) people on (?P<items>\d+) "
        r"items \(needs (?P<need_rows>\d+), (?P<need_people>\d+), (?P<need_items>\d+)\)"
    ),
}
STALE = re.compile(r"the latest order is from (?P<day>\d{4}-\d\d-\d\d), (?P<days>\d+) days")


@dataclass(frozen=True)
class Reason:
    kind: str  # clv | churn | recommend | other
    params: dict[str, str] = field(default_factory=dict)
    raw: str = ""
    stale_day: str | None = None


def explain(message: str | None) -> Reason | None:
    if not message:
        return None
    stale = STALE.search(message)
    day = stale.group("day") if stale else None
    for kind, pattern in PATTERNS.items():
        found = pattern.search(message)
        if found:
            return Reason(kind, found.groupdict(), message, day)
    return Reason("other", {}, message, day)
