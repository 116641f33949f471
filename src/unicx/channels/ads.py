"""Ad-platform customer lists: which identifiers each platform takes, how it wants them
hashed, and the CSV files unicx writes for it.

Identifiers come from the ``identities`` table, which identity resolution already normalized
(:mod:`unicx.identity.normalize`: e-mail trimmed and lower-cased, phone E.164 with ``+``), and
are hashed in SQL with SHA-256 in lower-case hex, as the segment ``hashed`` export does
(:mod:`unicx.segments.export`). The platforms differ only in column names and whether a phone
keeps its ``+``. No profile id or raw value is written to a file.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from unicx.errors import ConflictError


@dataclass(frozen=True, slots=True)
class Destination:
    name: str
    title: str
    email_column: str
    phone_column: str
    # Google wants E.164 as is (+84912345678); Meta and TikTok the digits only (84912345678).
    phone_keeps_plus: bool
    # TikTok matches e-mails without a "+tag" in the local part (lan+shop@x.vn -> lan@x.vn).
    email_drops_plus_tag: bool = False


DESTINATIONS: Final[dict[str, Destination]] = {
    d.name: d
    for d in (
        Destination("google_customer_match", "Google Ads Customer Match", "Email", "Phone", True),
        Destination("meta_custom_audience", "Meta Custom Audience", "email", "phone", False),
        Destination(
            "tiktok_custom_audience",
            "TikTok Custom Audience (customer file)",
            "Email_SHA256",
            "Phone_SHA256",
            False,
            email_drops_plus_tag=True,
        ),
    )
}


def current_keys_sql(destination: Destination) -> str:
    """(profile_id, key_type, hashed) of every member of segment ``$segment`` for the key types
    ``$types``, one row per distinct hash, leaving out people who refused ads consent."""
    phone = "i.id_value" if destination.phone_keeps_plus else "ltrim(i.id_value, '+')"
    email = (
        r"regexp_replace(i.id_value, '\+[^@]*@', '@')"
        if destination.email_drops_plus_tag
        else "i.id_value"
    )
    return f"""SELECT min(profile_id) AS profile_id, key_type, hashed FROM (
    SELECT m.profile_id, i.id_type AS key_type,
        sha256(CASE WHEN i.id_type = 'phone' THEN {phone} ELSE {email} END) AS hashed
    FROM segment_members m JOIN identities i ON i.profile_id = m.profile_id
    WHERE m.segment_id = $segment AND list_contains($types, i.id_type)
      AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.profile_id = m.profile_id
                      AND c.purpose = 'ads' AND NOT c.granted)
) GROUP BY key_type, hashed"""


def write_csv(path: Path, destination: Destination, rows: Iterable[tuple[str, str]]) -> None:
    """Write ``(key_type, hashed)`` rows as the destination's CSV, synced to disk. Plain UTF-8
    without a BOM: these files go to upload tools, not spreadsheets, and a hex hash cannot
    start a formula."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([destination.email_column, destination.phone_column])
        for key_type, hashed in rows:
            writer.writerow([hashed, ""] if key_type == "email" else ["", hashed])
        f.flush()
        os.fsync(f.fileno())


def publish(tmp: Path, path: Path) -> None:
    """Move a finished file into place atomically; an existing file is never overwritten."""
    if path.exists():
        raise ConflictError(f"{path.name} exists: a run at the same time was already written")
    os.replace(tmp, path)
