"""What an import file may be before any of it is decoded: a text encoding from a fixed list,
no compressed container, a Parquet file whose decompressed size is known and bounded.

Python's codec registry also holds byte-to-byte codecs (``bz2_codec``, ``zlib_codec``,
``base64``): taken as an "encoding" they decompress a 351-byte upload into hundreds of MB.
Compressed files (``.gz``, magic bytes ``1f 8b`` …) are refused rather than inflated with a
budget: pyarrow decompresses a path ending in ``.gz``/``.bz2`` on its own, and a refusal is
the one answer that cannot be got wrong. People unzip before uploading; HTTP transport
compression of the request itself is separate (see docs/limits.md).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pyarrow.parquet as pq

from unicx.errors import FieldIssue, PayloadTooLargeError, ValidationError

# Codec names as codecs.lookup() spells them; aliases (utf8, latin1, windows-1258) map here.
TEXT_ENCODINGS = (
    "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
    "utf-32-be", "cp1258", "cp1252", "iso8859-1", "ascii",
)  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
COMPRESSED_SUFFIXES = frozenset(
    {".gz", ".gzip", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".lzma", ".zst", ".zstd", ".zip",
     ".7z", ".lz4", ".br", ".z", ".rar"}
)  # fmt: skip
_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"Rar!", "rar"),
)
# What one Parquet row group may decompress to: pyarrow holds a whole row group's column
# chunks while it hands out batches, so this bounds the reader's memory.
MAX_ROW_GROUP_BYTES = 256 << 20


def text_encoding(name: str) -> str:
    """The codec name of ``name`` if it is on :data:`TEXT_ENCODINGS`, else a 400 naming
    ``encoding``."""
    rule = f"one of the text encodings {', '.join(TEXT_ENCODINGS)}"
    # The name is checked before lookup: codecs.lookup imports encodings.<name> modules.
    codec = _lookup(name) if _NAME.match(name) else None
    if codec is None or not codec._is_text_encoding or codec.name not in TEXT_ENCODINGS:
        raise ValidationError(
            f"encoding {name[:40]!r} is not accepted: use {rule}",
            issues=[FieldIssue("encoding", "text_encoding", rule)],
        )
    return codec.name


def _lookup(name: str) -> codecs.CodecInfo | None:
    try:
        return codecs.lookup(name)
    except LookupError:
        return None


def refuse_compressed(path: Path, head: bytes) -> None:
    """400 for a compressed file, told by its name or by its first bytes."""
    suffix = path.suffix.lower()
    kind = suffix[1:] if suffix in COMPRESSED_SUFFIXES else None
    kind = kind or next((k for magic, k in _MAGIC if head.startswith(magic)), None)
    if kind is not None:
        message = f"compressed files ({kind}) are not imported: decompress it and upload the file"
        raise ValidationError(message, issues=[FieldIssue("file", "compressed", message)])


def check_parquet_size(meta: pq.FileMetaData, *, max_bytes: int | None) -> None:
    """Refuse a Parquet file whose row groups decompress past the bounds, from its footer
    before reading any page (the sizes are the writer's word; reading counts again)."""
    sizes = [_uncompressed(meta.row_group(i)) for i in range(meta.num_row_groups)]
    biggest = max(sizes, default=0)
    if biggest > MAX_ROW_GROUP_BYTES:
        raise PayloadTooLargeError(
            f"a Parquet row group decompresses to {biggest} bytes; at most "
            f"{MAX_ROW_GROUP_BYTES} (write the file with smaller row groups)",
            issues=[FieldIssue("file", "parquet_row_group_bytes", str(MAX_ROW_GROUP_BYTES))],
        )
    if max_bytes is not None and sum(sizes) > max_bytes:
        raise decompressed_too_large(max_bytes)


def decompressed_too_large(max_bytes: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(
        f"the Parquet file decompresses to more than import_max_bytes ({max_bytes} bytes)",
        issues=[FieldIssue("file", "import_max_bytes", "decompressed size over the limit")],
    )


def _uncompressed(group: pq.RowGroupMetaData) -> int:
    # Per column chunk, not the row group's total_byte_size, which some writers leave at 0.
    columns = (group.column(i).total_uncompressed_size for i in range(group.num_columns))
    return max(int(group.total_byte_size), int(sum(columns)))
