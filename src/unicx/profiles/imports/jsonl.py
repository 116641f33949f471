"""JSON lines: one object per line, parsed line by line so one bad line is one rejected row.

A file has no header, so its columns are the keys seen in the first chunk of lines, in order of
first appearance (docs/imports.md); keys appearing only later are ignored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from unicx.errors import ValidationError
from unicx.profiles.imports.models import Chunk

MAX_LINE_BYTES = 16 << 20
SCAN_LINES = 50_000
MAX_KEYS = 1000


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, error) for each non-blank line; overlong lines come as errors."""
    with path.open("rb") as f:
        number = 0
        while raw := f.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield number, None, f"line longer than {MAX_LINE_BYTES} bytes"
                continue
            text = raw.decode(encoding)
            if number == 1:
                text = text.lstrip("\ufeff")
            if text.strip():
                yield number, text, None


def _parse(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, "each line must be a JSON object"
    return value, None


def columns(path: Path, encoding: str) -> list[str]:
    seen: dict[str, None] = {}
    for count, (_, text, _err) in enumerate(_lines(path, encoding)):
        if count >= SCAN_LINES:
            break
        obj, _ = _parse(text) if text is not None else (None, None)
        for key in obj or ():
            seen.setdefault(unicodedata.normalize("NFC", str(key)).strip(), None)
        if len(seen) > MAX_KEYS:
            raise ValidationError(f"the lines hold more than {MAX_KEYS} distinct keys")
    return list(seen)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def chunks(path: Path, encoding: str, names: list[str], size: int) -> Iterator[Chunk]:
    def fresh() -> Chunk:
        return Chunk([], {n: [] for n in names})

    chunk = fresh()
    for number, text, error in _lines(path, encoding):
        obj, error = _parse(text) if text is not None else (None, error)
        if obj is None:
            chunk.broken[number] = ("json", error or "invalid line")
        else:
            row = {unicodedata.normalize("NFC", str(k)).strip(): v for k, v in obj.items()}
            chunk.rows.append(number)
            for name in names:
                chunk.values[name].append(_text(row.get(name)))
        if len(chunk.rows) + len(chunk.broken) >= size:
            yield chunk
            chunk = fresh()
    if chunk.rows or chunk.broken:
        yield chunk
