"""The one reader of the YAML (and JSON) files people write: journey definitions, channel
configs, messaging policies, segment and offer files, the workspace's funnel.yaml.

Every file means what its JSON form means:

- YAML 1.2 scalars only: YAML 1.1 (PyYAML's default) reads ``no``, ``on`` and ``yes`` as
  booleans, ``10:30`` as 630 and ``2024-06-01`` as a date, so a condition's ``no:`` key or a
  country code ``NO`` would silently change meaning;
- no aliases or anchors (``*name``): a small file could expand into gigabytes;
- values JSON cannot hold (``!!binary``, ``!!set``, complex keys) are refused;
- a size cap, and every error names the file and, for syntax, the line and column.

It imports only the standard library, PyYAML and :mod:`unicx.errors`, so any layer may use it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from unicx.errors import FieldIssue, ValidationError

MAX_BYTES = 1024 * 1024


class YamlFileError(ValidationError):
    """A file that cannot be read as YAML/JSON; ``line`` and ``column`` count from 1."""

    def __init__(
        self, name: str, rule: str, message: str, *, line: int | None = None, col: int | None = None
    ) -> None:
        where = f" at line {line}, column {col}" if line is not None else ""
        text = f"{message}{where}"
        super().__init__(f"{name}: {text}", issues=[FieldIssue(name, rule, text)])
        self.line = line
        self.column = col


class _Loader(yaml.SafeLoader):
    """The safe loader with JSON's meaning: YAML 1.2 scalars, no aliases."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's class attribute)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        return super().compose_node(parent, index)


for _tag, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^[-+]?(?:0|[1-9][0-9]*)$", list("-+0123456789")),
    (
        "float",
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$",
        list("-+0123456789."),
    ),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _syntax_error(name: str, exc: yaml.YAMLError | json.JSONDecodeError) -> YamlFileError:
    if isinstance(exc, json.JSONDecodeError):
        return YamlFileError(
            name, "syntax", f"not valid YAML/JSON: {exc.msg}", line=exc.lineno, col=exc.colno
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    message = f"not valid YAML/JSON: {str(problem)[:300]}"
    if mark is None:
        return YamlFileError(name, "syntax", message)
    return YamlFileError(name, "syntax", message, line=mark.line + 1, col=mark.column + 1)


def parse_yaml(text: str, *, name: str, as_json: bool = False) -> Any:
    """``text`` as plain JSON values; ``as_json`` reads it with the stricter JSON parser.
    ``name`` (usually the file name) starts every error message."""
    try:
        data = json.loads(text) if as_json else yaml.load(text, _Loader)
        # Explicit tags (!!binary, !!set, complex keys) have no JSON form: refuse them here.
        return json.loads(json.dumps(data, allow_nan=False))
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise _syntax_error(name, exc) from None
    except (TypeError, ValueError) as exc:
        raise YamlFileError(name, "type", f"holds values JSON cannot: {str(exc)[:200]}") from None
    except RecursionError:
        raise YamlFileError(name, "too_deep", "nested too deeply") from None


def read_yaml(path: Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """A YAML file (or JSON, by its ``.json`` suffix) as plain JSON values."""
    if path.stat().st_size > max_bytes:
        raise YamlFileError(path.name, "too_large", f"larger than {max_bytes} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlFileError(path.name, "encoding", "not UTF-8 text") from None
    return parse_yaml(text, name=path.name, as_json=path.suffix.lower() == ".json")


def read_mapping(path: Path, *, what: str, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """A file holding one object; ``what`` names it in the error when it holds something else."""
    data = read_yaml(path, max_bytes=max_bytes)
    if not isinstance(data, dict):
        raise YamlFileError(path.name, "structure", f"expected {what} (an object)")
    return data
