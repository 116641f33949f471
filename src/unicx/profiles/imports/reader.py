"""Reading an import file in chunks of rows, whatever its format and encoding.

One pass over the raw bytes first (SHA-256, binary check, strict decoding to pick the
encoding), then the rows stream in chunks: memory is bounded by the chunk, not the file.
Every value comes out as NFC text or None: Windows-1258 writes Vietnamese tones as combining
marks, and names must compare equal to the same names typed elsewhere.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from unicx.errors import FieldIssue, ValidationError
from unicx.profiles.imports import jsonl
from unicx.profiles.imports.guard import (
    check_parquet_size,
    decompressed_too_large,
    refuse_compressed,
    text_encoding,
)
from unicx.profiles.imports.models import Chunk

CHUNK_ROWS = 50_000
MAX_COLUMNS = 1000
# The longest CSV record pyarrow can hold in one block; a longer one fails the file, clearly.
CSV_BLOCK_BYTES = 16 << 20
_SNIFF_BYTES = 64 << 10
_DELIMITERS = (",", ";", "\t", "|")
_TEXT_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl"}
_TEXT_SUFFIXES |= {".ndjson": "jsonl", ".json": "jsonl"}


@dataclass
class Source:
    path: Path
    file_format: str
    encoding: str | None
    sha256: str
    columns: list[str]
    total_rows: int | None
    delimiter: str | None = None
    max_bytes: int | None = None  # decompressed Parquet bytes allowed (uploads)

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        if self.file_format == "parquet":
            return _parquet_chunks(self, size)
        if self.file_format == "jsonl":
            return jsonl.chunks(self.path, self.encoding or "utf-8", self.columns, size)
        return _csv_chunks(self, size)


def open_source(path: Path, *, encoding: str | None = None, max_bytes: int | None = None) -> Source:
    """Identify the format and encoding of ``path`` and read its columns; ``max_bytes`` bounds
    what a Parquet file may decompress to."""
    encoding = text_encoding(encoding) if encoding is not None else None
    if not path.is_file():
        raise ValidationError(f"no such file: {path.name}")
    head = _head(path)
    if not head:
        raise ValidationError("the file is empty", issues=[_file_issue("empty", "no bytes")])
    refuse_compressed(path, head)
    if head.startswith(b"PAR1") or path.suffix.lower() in (".parquet", ".pq"):
        return _open_parquet(path, _sha256(path, None), max_bytes)
    if b"\x00" in head and encoding is None:  # UTF-16, say, has NULs: only when told
        raise ValidationError(
            "the file is not CSV, JSON lines or Parquet (it holds binary data)",
            issues=[_file_issue("format", "binary data")],
        )
    digest, chosen = _sha256_and_encoding(path, encoding)
    text = head.decode(chosen, errors="ignore").lstrip("\ufeff \r\n\t")
    kind = _TEXT_SUFFIXES.get(path.suffix.lower()) or ("jsonl" if text[:1] == "{" else "csv")
    if kind == "jsonl":
        columns = jsonl.columns(path, chosen)
        return Source(path, "jsonl", chosen, digest, columns, None)
    return _open_csv(path, digest, chosen, text)


def _file_issue(rule: str, message: str) -> FieldIssue:
    return FieldIssue("file", rule, message)


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(_SNIFF_BYTES)


def _sha256(path: Path, decoder: codecs.IncrementalDecoder | None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            if decoder is not None:
                decoder.decode(block)
        if decoder is not None:
            decoder.decode(b"", final=True)
    return digest.hexdigest()


def _sha256_and_encoding(path: Path, encoding: str | None) -> tuple[str, str]:
    """Strict UTF-8 (BOM or not) if the whole file decodes as such, else Windows-1258."""
    candidates = [encoding] if encoding else ["utf-8-sig", "cp1258"]
    for name in candidates:
        codec = codecs.lookup(name)  # a name open_source checked, or one of ours
        try:
            return _sha256(path, codec.incrementaldecoder("strict")), codec.name
        except UnicodeDecodeError as exc:
            last = exc
    raise ValidationError(
        f"the file is not valid {' or '.join(candidates)} text (byte {last.start} of a block: "
        f"{last.reason}); pass the right --encoding",
        issues=[_file_issue("encoding", last.reason)],
    )


def _open_parquet(path: Path, digest: str, max_bytes: int | None) -> Source:
    try:
        meta = pq.ParquetFile(path).metadata
        names = list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as exc:
        raise ValidationError(
            f"not a readable Parquet file: {exc}", issues=[_file_issue("parquet", str(exc))]
        ) from exc
    check_parquet_size(meta, max_bytes=max_bytes)
    columns = _clean_columns(names)
    return Source(path, "parquet", None, digest, columns, meta.num_rows, max_bytes=max_bytes)


def _parquet_chunks(source: Source, size: int) -> Iterator[Chunk]:
    row, read = 1, 0
    try:
        for batch in pq.ParquetFile(source.path).iter_batches(batch_size=size):
            read += batch.nbytes  # the footer's sizes are the writer's word: count for real
            if source.max_bytes is not None and read > source.max_bytes:
                raise decompressed_too_large(source.max_bytes)
            chunk = _arrow_chunk(batch, source.columns, row)
            row += batch.num_rows
            yield chunk
    except (pa.ArrowException, OSError) as exc:
        raise ValidationError(f"cannot read the Parquet file near row {row}: {exc}") from exc


def _arrow_chunk(batch: pa.RecordBatch, names: list[str], first_row: int) -> Chunk:
    values: dict[str, list[str | None]] = {}
    for name, column in zip(names, batch.columns, strict=True):
        values[name] = _as_text(column).to_pylist()
    return Chunk(list(range(first_row, first_row + batch.num_rows)), values)


def _as_text(column: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        column = pc.cast(column, pa.string())  # ISO text; tz-aware ones end in Z
    elif pa.types.is_nested(column.type):
        raise ValidationError(
            "nested Parquet columns are not supported; flatten them first",
            issues=[_file_issue("parquet", "nested column")],
        )
    elif not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = pc.cast(column, pa.string())
    return pc.utf8_normalize(column, form="NFC")


def _clean_columns(names: list[str]) -> list[str]:
    if len(names) > MAX_COLUMNS:
        raise ValidationError(f"the file has {len(names)} columns; at most {MAX_COLUMNS}")
    out = [
        unicodedata.normalize("NFC", n).strip() or f"column_{i + 1}" for i, n in enumerate(names)
    ]
    dupes = sorted({n for n in out if out.count(n) > 1})
    if dupes:
        raise ValidationError(
            f"duplicate column names: {', '.join(dupes)}",
            issues=[FieldIssue(f"columns.{d}", "duplicate_column", "rename it") for d in dupes],
        )
    return out


def _open_csv(path: Path, digest: str, encoding: str, sample: str) -> Source:
    first_line = sample.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count) if first_line else ","
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(encoding=encoding, block_size=CSV_BLOCK_BYTES),
            # Only the header matters here; bad rows are reported when the rows are read.
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=_skip),
        )
        names = list(reader.schema.names)
    except (pa.ArrowException, OSError) as exc:
        raise ValidationError(
            f"cannot read the CSV header: {exc}", issues=[_file_issue("csv", str(exc))]
        ) from exc
    return Source(path, "csv", encoding, digest, _clean_columns(names), None, delimiter)


def _skip(_: pa_csv.InvalidRow) -> str:
    return "skip"


def _csv_chunks(source: Source, size: int) -> Iterator[Chunk]:
    skipped: dict[int, tuple[str, str]] = {}

    def bad_row(row: pa_csv.InvalidRow) -> str:
        message = f"{row.actual_columns} fields where the header has {row.expected_columns}"
        skipped[row.number or -1] = ("field_count", message)
        return "skip"

    reader = pa_csv.open_csv(
        source.path,
        read_options=pa_csv.ReadOptions(
            encoding=source.encoding or "utf8",
            block_size=CSV_BLOCK_BYTES,
            use_threads=False,  # row numbers of invalid rows are known only single-threaded
            column_names=source.columns,
            skip_rows=1,
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=source.delimiter or ",", invalid_row_handler=bad_row
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in source.columns}, strings_can_be_null=True
        ),
    )
    numbering = _RowNumbers(skipped)
    try:
        for batch in reader:
            for start in range(0, batch.num_rows, size):
                part = batch.slice(start, size)
                chunk = _arrow_chunk(part, source.columns, 0)
                chunk.rows, chunk.broken = numbering.take(part.num_rows)
                yield chunk
    except pa.ArrowException as exc:
        raise ValidationError(
            f"cannot read the CSV file after row {numbering.next - 1}: {exc}",
            issues=[_file_issue("csv", str(exc))],
        ) from exc
    rows, broken = numbering.take(0)
    if broken:
        yield Chunk(rows, {c: [] for c in source.columns}, broken)


class _RowNumbers:
    """Numbers of the rows pyarrow returns: the header is row 1, skipped rows keep theirs."""

    def __init__(self, skipped: dict[int, tuple[str, str]]) -> None:
        self.skipped = skipped
        self.next = 2

    def take(self, count: int) -> tuple[list[int], dict[int, tuple[str, str]]]:
        rows: list[int] = []
        broken: dict[int, tuple[str, str]] = {}
        while len(rows) < count or self.next in self.skipped:
            if self.next in self.skipped:
                broken[self.next] = self.skipped.pop(self.next)
            else:
                rows.append(self.next)
            self.next += 1
        if count == 0:
            broken.update(self.skipped)
            self.skipped.clear()
        return rows, broken
