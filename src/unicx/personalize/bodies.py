"""JSON request-body templates (SMS/push gateways, webhooks' transport): Jinja in the immutable
sandbox with ``StrictUndefined`` (a misspelt variable is an error at save time, not an empty
field at send time) and a ``tojson`` filter, so values are always JSON-escaped.

Only the sandbox worker renders them (:mod:`unicx.personalize.sandbox`, ``kind="json"``): a
body template is configuration a marketer writes, and ``center(10**9)`` in it must not grow
the server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from unicx.errors import FieldIssue, ValidationError

MAX_BODY = 256 * 1024  # a rendered request body; an SMS or push is far smaller


def _tojson(value: Any) -> str:
    # Plain JSON (not Jinja's HTML-safe variant): the body goes to an API, not a page.
    return json.dumps(value, ensure_ascii=False, default=str)


_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_ENV.globals.clear()  # nothing to climb from: no range/cycler/namespace
_ENV.filters["tojson"] = _tojson


@lru_cache(maxsize=64)
def _compiled(template: str) -> Template:
    """A provider's body template is the same for every message: compile it once."""
    return _ENV.from_string(template)


def _refused(message: str) -> ValidationError:
    return ValidationError(message, issues=[FieldIssue("body_template", "render", message)])


def render_json_here(template: str, variables: Mapping[str, Any]) -> str:
    """The body rendered in this process (the worker) and checked to be JSON."""
    try:
        text = _compiled(template).render(dict(variables))
    except TemplateError as exc:
        raise _refused(f"body_template does not render: {exc}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _refused(f"body_template does not render: {exc}") from None
    if len(text) > MAX_BODY:
        raise _refused(f"rendered body is over {MAX_BODY} characters")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refused(f"body_template does not render JSON: {exc}") from None
    return text
