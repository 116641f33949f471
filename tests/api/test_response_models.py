"""Every JSON route declares its answer as a model, so OpenAPI, SDKs and the dashboard read a
typed contract. The route list comes from the app itself: a route added later without a model
fails here, named. Routes answering something else (a file, a redirect, a pixel, a page) say so
with their ``response_class``; routes answering nothing (204) need neither."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from unicx.api import create_app
from unicx.config import load_settings

# The OpenAPI document describes the others; it has no model of itself.
NOT_MODELLED = frozenset({"/openapi.json"})


def _is_model(annotation: Any) -> bool:
    """A model, or a list/dict/union whose values are models (``dict[str, Any]`` is not)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    origin = get_origin(annotation)
    if origin in (list, Union, types.UnionType):
        return any(_is_model(a) for a in get_args(annotation) if a is not type(None))
    if origin is dict:
        return _is_model(get_args(annotation)[1])
    return False


def _answers_json(route: APIRoute) -> bool:
    cls = route.response_class
    if isinstance(cls, DefaultPlaceholder):
        cls = cls.value
    return isinstance(cls, type) and issubclass(cls, JSONResponse)


def _unmodelled() -> list[str]:
    app = create_app(load_settings(workspace=Path("unused")))
    missing = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or ctx.path in NOT_MODELLED:
            continue
        if route.status_code == 204 or not _answers_json(route):
            continue
        if not _is_model(route.response_model):
            missing.append(f"{','.join(sorted(route.methods))} {ctx.path}: {route.response_model}")
    return missing


def test_every_json_route_has_a_response_model() -> None:
    missing = _unmodelled()
    assert not missing, "routes without a response model:\n" + "\n".join(missing)


def test_the_check_sees_an_untyped_answer() -> None:
    assert not _is_model(dict[str, Any])
    assert not _is_model(list[dict[str, Any]])
    assert not _is_model(None)
    assert _is_model(list[JSONModel])
    assert _is_model(dict[str, JSONModel])


class JSONModel(BaseModel):
    value: int
