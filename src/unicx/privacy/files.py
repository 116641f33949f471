"""The files of the workspace that can hold a person, cleaned on erasure.

- ``imports/*.rejects.csv``: rejected rows as they were; rows naming the person go.
- ``imports/upload_*``: uploads are deleted once imported, so one still there is a leftover of
  a crash, whose owner nobody knows: it goes whole.
- ``audiences/*/*.csv``: hashed identifiers sent to ad platforms; rows with one of the
  person's hashes go (the platform learns of the removal through the next sync's delta).

A file is rewritten to a temporary name and renamed over the old one, so a crash leaves the
old or the new file, never half of one.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from unicx.config import Settings
from unicx.identity.normalize import normalize_email, normalize_phone
from unicx.profiles.imports import imports_dir, upload_leftovers

AUDIENCES_DIR = "audiences"  # mirrors unicx.channels.audiences (channels sits above privacy)
_PLUS_TAG = re.compile(r"\+[^@]*@")


@dataclass(frozen=True)
class PersonKeys:
    """What identifies the person in a file: exact ids, normalized contacts, and hashes."""

    ids: frozenset[str]
    emails: frozenset[str]
    phones: frozenset[str]

    def hashes(self) -> frozenset[str]:
        """SHA-256 hex of each form an ad-platform file may hold (see unicx.channels.ads)."""
        forms = {*self.emails, *(_PLUS_TAG.sub("@", e) for e in self.emails)}
        forms |= {*self.phones, *(p.lstrip("+") for p in self.phones)}
        return frozenset(hashlib.sha256(f.encode()).hexdigest() for f in forms)

    def in_cell(self, cell: str) -> bool:
        text = cell.strip().lstrip("'")
        if not text:
            return False
        if text in self.ids or any(e in text.lower() for e in self.emails):
            return True
        return normalize_phone(text) in self.phones or normalize_email(text) in self.emails


@dataclass
class FileCleanup:
    rows_removed: int = 0
    files_changed: int = 0
    files_deleted: int = 0


def clean_files(settings: Settings, keys: PersonKeys) -> FileCleanup:
    out = FileCleanup()
    for leftover in upload_leftovers(settings):
        leftover.unlink(missing_ok=True)
        out.files_deleted += 1
    rejects = imports_dir(settings).glob("*.rejects.csv")
    _rewrite_all(out, rejects, "utf-8-sig", lambda row: any(keys.in_cell(c) for c in row))
    hashes = keys.hashes()
    audiences = (settings.workspace / AUDIENCES_DIR).glob("*/*.csv")
    _rewrite_all(out, audiences, "utf-8", lambda row: any(c in hashes for c in row))
    return out


def _rewrite_all(
    out: FileCleanup, paths: Iterable[Path], encoding: str, drop: Callable[[list[str]], bool]
) -> None:
    for path in paths:
        removed = _rewrite(path, encoding, drop)
        if removed:
            out.rows_removed += removed
            out.files_changed += 1


def _rewrite(path: Path, encoding: str, drop: Callable[[list[str]], bool]) -> int:
    """Rewrite ``path`` without the rows ``drop`` selects (the header stays); rows removed."""
    with path.open(encoding=encoding, newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [r for r in rows[1:] if not drop(r)]
    if len(kept) == len(rows):
        return 0
    tmp = path.with_name(path.name + ".redact.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with open(fd, "w", encoding=encoding, newline="") as f:
        csv.writer(f, lineterminator="\n" if encoding == "utf-8" else "\r\n").writerows(kept)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return len(rows) - len(kept)
