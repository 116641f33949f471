"""A channel's provider settings as form fields, and the form read back into a config.

The fields come from the channel's own pydantic model (nested models flattened to dotted
paths, a ``kind`` union as a choice plus the fields of every variant). Secrets are write-only:
the page says whether one is set, and an empty input keeps the stored value (the redacted
marker goes back and ``save_config`` restores what it hides).
"""

from __future__ import annotations

import copy
import json
import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from unicx.channels.config import MARKER, OPAQUE_KEYS, SECRET_KEYS

PREFIX = "cfg:"
Kind = Literal["text", "long", "number", "bool", "choice", "list", "json"]


@dataclass(frozen=True)
class FormField:
    path: str
    kind: Kind
    description: str
    options: tuple[str, ...] = ()
    secret: bool = False
    # For a field of one variant of a union: (the union's path, the variant's kind).
    variant: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        return PREFIX + self.path

    @property
    def dom_id(self) -> str:
        return "cfg-" + self.path.replace(".", "-")


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None`` (and whether None was allowed)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _models(annotation: Any) -> list[type[BaseModel]]:
    if get_origin(annotation) in (Union, types.UnionType):
        found = [a for a in get_args(annotation) if isinstance(a, type)]
        if found and all(issubclass(a, BaseModel) for a in found):
            return found
    return []


def _kind_of(annotation: Any, key: str) -> tuple[Kind, tuple[str, ...]]:
    if get_origin(annotation) is Literal:
        return "choice", tuple(str(a) for a in get_args(annotation))
    if annotation is bool:
        return "bool", ()
    if annotation in (int, float):
        return "number", ()
    if get_origin(annotation) is list:
        return "list", ()
    if get_origin(annotation) is dict:
        return "json", ()
    return ("long" if key in OPAQUE_KEYS else "text"), ()


def form_fields(model: type[BaseModel], prefix: str = "") -> list[FormField]:
    out: list[FormField] = []
    for key, info in model.model_fields.items():
        path = prefix + key
        annotation, _ = _plain(info.annotation)
        description = info.description or ""
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += form_fields(annotation, path + ".")
        elif variants := _models(annotation):
            out += _union_fields(path, variants, description)
        else:
            kind, options = _kind_of(annotation, key)
            secret = key in SECRET_KEYS or key in OPAQUE_KEYS
            out.append(FormField(path, kind, description, options, secret))
    return out


def _union_fields(path: str, variants: list[type[BaseModel]], description: str) -> list[FormField]:
    """``kind`` as a choice, then each variant's own fields, marked with their variant."""
    kinds = [str(get_args(v.model_fields["kind"].annotation)[0]) for v in variants]
    out = [FormField(f"{path}.kind", "choice", description, tuple(kinds))]
    for kind, variant in zip(kinds, variants, strict=True):
        for f in form_fields(variant, path + "."):
            if f.path != f"{path}.kind":
                out.append(FormField(f.path, f.kind, f.description, f.options, f.secret,
                                     variant=(path, kind)))  # fmt: skip
    return out


def value_at(config: dict[str, Any], path: str) -> Any:
    node: Any = config
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def shown(config: dict[str, Any], field: FormField) -> str:
    """The input's value as the page shows it ('' for secrets: they are write-only)."""
    value = value_at(config, field.path)
    if field.secret or value is None:
        return ""
    if field.kind == "list":
        return ", ".join(str(v) for v in value)
    if field.kind == "json":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def is_set(config: dict[str, Any], field: FormField) -> bool:
    return bool(value_at(config, field.path))


def _set(config: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = config
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _parsed(field: FormField, text: str) -> Any:
    """The typed value; text the model refuses goes through as is (its error names the field)."""
    text = text.strip()
    if field.kind == "number":
        try:
            return None if text == "" else json.loads(text)
        except ValueError:
            return text
    if field.kind == "list":
        items = [p.strip() for p in text.split(",") if p.strip()]
        return [int(p) if p.lstrip("-").isdigit() else p for p in items]
    if field.kind == "json":
        try:
            return json.loads(text) if text else {}
        except ValueError:
            return text
    return text


def read_form(
    fields: list[FormField], form: dict[str, str], current: dict[str, Any]
) -> dict[str, Any]:
    """The config to save: the shown (redacted) config with the form's changes applied."""
    raw = copy.deepcopy(current)
    chosen = {f.path.rsplit(".", 1)[0]: form.get(f.name, "") for f in fields
              if f.path.endswith(".kind") and f.kind == "choice"}  # fmt: skip
    for field in fields:
        if field.variant and chosen.get(field.variant[0]) != field.variant[1]:
            continue
        text = form.get(field.name, "")
        if field.kind == "bool":
            _set(raw, field.path, field.name in form)
        elif field.secret and text == "":
            stored = value_at(current, field.path)
            _set(raw, field.path, MARKER if stored else stored)
        else:
            _set(raw, field.path, _parsed(field, text))
    for union, kind in chosen.items():
        _prune(raw, fields, union, kind)
    return raw


def _prune(raw: dict[str, Any], fields: list[FormField], union: str, kind: str) -> None:
    """Drop the keys of the variants not chosen (each variant refuses the others' fields)."""
    node = value_at(raw, union)
    if not isinstance(node, dict):
        return
    keep = {f.path.rsplit(".", 1)[1] for f in fields if f.variant == (union, kind)} | {"kind"}
    for key in [k for k in node if k not in keep]:
        del node[key]
