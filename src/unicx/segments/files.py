"""Segment definitions as files: YAML (or JSON, which is YAML too) kept in the workspace.

A file holds one segment, ``{name, description, definition}``, or a bare definition tree, read
by :mod:`unicx.yamlfile` (YAML 1.2 scalars, no aliases, a size cap; errors name the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from unicx.errors import FieldIssue, ValidationError
from unicx.segments.models import SegmentCreate
from unicx.yamlfile import read_yaml

MAX_FILE_BYTES = 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".json")


def _fail(path: Path, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{path.name}: {message}", issues=[FieldIssue(path.name, rule, message)])


def read_file(path: Path) -> Any:
    """The file's plain JSON values (unicx.yamlfile: YAML 1.2 scalars, no aliases)."""
    return read_yaml(path, max_bytes=MAX_FILE_BYTES)


def read_definition(path: Path) -> dict[str, Any]:
    """The definition tree of a file holding either a segment or a bare definition."""
    data = read_file(path)
    if isinstance(data, dict) and "definition" in data:
        data = data["definition"]
    if not isinstance(data, dict):
        raise _fail(path, "structure", "expected a definition object such as {all: [...]}")
    return data


def read_segment(path: Path) -> SegmentCreate:
    """A segment file: name (default: the file name), description, definition."""
    data = read_file(path)
    if not isinstance(data, dict) or "definition" not in data:
        raise _fail(path, "structure", "expected name, description and definition")
    data.setdefault("name", path.stem)
    try:
        return SegmentCreate.model_validate(data)
    except ValueError as exc:
        raise _fail(path, "structure", str(exc).splitlines()[0][:300]) from None


def segment_files(path: Path) -> list[Path]:
    """``path`` itself, or the definition files of a directory in name order."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    return [path]
