"""Bulk import of profiles and orders (CSV, Parquet, JSON lines) as events: docs/imports.md."""

from unicx.profiles.imports.guard import TEXT_ENCODINGS, text_encoding
from unicx.profiles.imports.mapping import ORDER_FIELDS, PROFILE_FIELDS, parse_mapping
from unicx.profiles.imports.models import IMPORT_KINDS, ImportKind, ImportReport, RowIssue
from unicx.profiles.imports.service import (
    get_import,
    hold_upload,
    imports_dir,
    list_imports,
    release_upload,
    run_import,
    upload_leftovers,
)

__all__ = [
    "IMPORT_KINDS",
    "ORDER_FIELDS",
    "PROFILE_FIELDS",
    "TEXT_ENCODINGS",
    "ImportKind",
    "ImportReport",
    "RowIssue",
    "get_import",
    "hold_upload",
    "imports_dir",
    "list_imports",
    "parse_mapping",
    "release_upload",
    "run_import",
    "text_encoding",
    "upload_leftovers",
]
