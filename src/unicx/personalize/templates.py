"""Offer templates: Jinja in an immutable sandbox, checked at save time, vi/en formatting.

Three layers keep a template away from Python internals:

1. a static check of the parsed template: no attribute or key starting with ``_``, no
   ``import``/``include``/``extends``, no variable outside the documented context;
2. a trial render with a sample context (catches what only shows when run);
3. at render time the ``ImmutableSandboxedEnvironment`` itself, with ``*`` and ``**`` bounded
   (``'x' * 10**9`` or ``9**9**9`` would otherwise eat memory or CPU), run in a worker process
   whose memory and time the kernel bounds (:mod:`unicx.personalize.sandbox`): the sandbox
   alone lets ``center(10**9)`` or ``'%0999999999d' % 1`` allocate gigabytes.

A missing trait renders as empty text (a lenient, chainable Undefined), so
``{{ traits.first_name | default("bạn") }}`` gives the fallback and ``{{ traits.nope.deeper }}``
gives nothing instead of an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from unicx.errors import FieldIssue, ValidationError
from unicx.personalize.formatting import FILTERS
from unicx.personalize.sandbox import render_isolated

MAX_TEMPLATE = 20_000
MAX_OUTPUT = 64 * 1024
MAX_REPEAT = 10_000
MAX_POWER = 64
MAX_BITS = 4096
HTML_CHANNELS = frozenset({"web", "email", "in_app"})
# What a template may read; everything else is an unknown variable.
CONTEXT_NAMES = frozenset(
    {"traits", "recommendations", "offer", "placement", "locale", "personalized", "now", "message"}
)
# Imports reach other templates; macros and call blocks allow unbounded recursion.
_FORBIDDEN_NODES = (
    nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends, nodes.Macro, nodes.CallBlock
)  # fmt: skip
MAX_LOOP_DEPTH = 2

SAMPLE_CONTEXT: dict[str, Any] = {
    "traits": {"first_name": "An", "revenue": 1_250_000, "orders_count": 3},
    "recommendations": [
        {"item_id": "sku-1", "name": "Trà xanh", "price": 45_000, "category": "tea",
         "url": "https://example.vn/p/1", "image": "https://example.vn/i/1.jpg"},
        {"item_id": "sku-2", "name": "Cà phê", "price": 60_000, "category": "coffee",
         "url": "https://example.vn/p/2", "image": "https://example.vn/i/2.jpg"},
    ],
    "offer": {"name": "sample", "offer_id": "off_sample"},
    "placement": "homepage_banner",
    "locale": "vi",
    "personalized": True,
    "message": {"message_id": "msg_sample", "channel": "email", "journey": "Sample",
                "unsubscribe_url": "https://example.vn/v1/unsubscribe/sample"},
}  # fmt: skip


class TemplateRefused(ValidationError):
    """A template that does not compile or tries to leave the sandbox."""


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(right, int | float) and abs(right) > MAX_POWER:
                raise SecurityError(f"exponent above {MAX_POWER}")
            # Chained powers ((2**64)**64)**64... grow without bound: cap the result size.
            ints = isinstance(left, int) and isinstance(right, int)
            if ints and left.bit_length() * max(right, 0) > MAX_BITS:
                raise SecurityError(f"power above {MAX_BITS} bits")
            return left**right
        for seq, times in ((left, right), (right, left)):
            repeat = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if repeat and times * max(len(seq), 1) > MAX_REPEAT:
                raise SecurityError(f"repetition longer than {MAX_REPEAT}")
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and left.bit_length() + right.bit_length() > MAX_BITS:
            raise SecurityError(f"product above {MAX_BITS} bits")
        return left * right


def _environment(autoescape: bool) -> _Sandbox:
    env = _Sandbox(autoescape=autoescape, undefined=ChainableUndefined)
    env.globals.clear()  # no range/cycler/joiner/namespace/lipsum: nothing to climb from
    env.filters.update(FILTERS)
    return env


_ENVS = {True: _environment(True), False: _environment(False)}


def environment(channel: str) -> _Sandbox:
    return _ENVS[channel in HTML_CHANNELS]


@lru_cache(maxsize=512)
def _compiled(html: bool, source: str) -> Template:
    """Compiling costs more than rendering (a journey sends one template to thousands of
    people); a compiled template renders safely from several threads."""
    return _ENVS[html].from_string(source)


def _refused(path: str, rule: str, message: str) -> TemplateRefused:
    return TemplateRefused(f"{path}: {message}", issues=[FieldIssue(path, rule, message)])


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def check_static(source: str, *, channel: str, path: str = "template") -> nodes.Template:
    """Parse ``source`` and refuse unsafe constructs; returns the tree."""
    if len(source) > MAX_TEMPLATE:
        raise _refused(path, "too_long", f"at most {MAX_TEMPLATE} characters")
    try:
        tree = environment(channel).parse(source)
    except TemplateSyntaxError as exc:
        raise _refused(path, "syntax", f"line {exc.lineno}: {exc.message}") from None
    stored = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    allowed = CONTEXT_NAMES | stored | {"loop", "caller", "varargs", "kwargs"}
    for node in _walk(tree):
        line = f"line {node.lineno}"
        if isinstance(node, _FORBIDDEN_NODES):
            raise _refused(path, "unsafe", f"{line}: import/include/extends/macro are not allowed")
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise _refused(path, "unsafe", f"{line}: attribute {node.attr!r} is not allowed")
        key = _const(node.arg) if isinstance(node, nodes.Getitem) else None
        if key is not None and key.startswith("_"):
            raise _refused(path, "unsafe", f"{line}: key {key!r} is not allowed")
        if isinstance(node, nodes.Filter) and node.name == "attr":
            raise _refused(path, "unsafe", f"{line}: the attr filter is not allowed")
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in allowed:
            raise _refused(
                path,
                "unknown_variable",
                f"{line}: unknown variable {node.name!r} (use {', '.join(sorted(CONTEXT_NAMES))})",
            )
    _check_growth(tree, path)
    return tree


def _check_growth(tree: nodes.Template, path: str) -> None:
    """No ``{% set s = s ~ s %}`` doubling, no loops nested deeper than :data:`MAX_LOOP_DEPTH`:
    the two ways left to make a small template render for ever."""
    for assign in tree.find_all(nodes.Assign):
        targets = {n.name for n in assign.target.find_all(nodes.Name)}
        if isinstance(assign.target, nodes.Name):
            targets.add(assign.target.name)
        if targets & {n.name for n in assign.node.find_all(nodes.Name)}:
            raise _refused(
                path, "unsafe", f"line {assign.lineno}: a variable may not be set from itself"
            )

    def depth(node: nodes.Node, level: int) -> None:
        for child in node.iter_child_nodes():
            inner = level + isinstance(child, nodes.For)
            if inner > MAX_LOOP_DEPTH:
                raise _refused(
                    path, "unsafe", f"line {child.lineno}: loops nest at most {MAX_LOOP_DEPTH}"
                )
            depth(child, inner)

    depth(tree, 0)


def used_traits(tree: nodes.Template) -> dict[str, int]:
    """Trait names read as ``traits.x`` or ``traits['x']`` -> first line."""
    out: dict[str, int] = {}
    for node in _walk(tree):
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            base = node.node
            if isinstance(base, nodes.Name) and base.name == "traits":
                name = node.attr if isinstance(node, nodes.Getattr) else _const(node.arg)
                if name is not None:
                    out.setdefault(name, node.lineno)
    return out


def _const(node: nodes.Node) -> str | None:
    return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None


def uses_recommendations(tree: nodes.Template) -> bool:
    return any(n.name == "recommendations" for n in tree.find_all(nodes.Name))


def check_template(source: str, *, channel: str, locale: str) -> nodes.Template:
    """Static check then a trial render with :data:`SAMPLE_CONTEXT`; the tree on success."""
    tree = check_static(source, channel=channel)
    render(source, {**SAMPLE_CONTEXT, "locale": locale}, channel=channel)
    return tree


def render(source: str, context: Mapping[str, Any], *, channel: str) -> str:
    """Render in the sandbox, in a worker process with bounded memory and time
    (:mod:`unicx.personalize.sandbox`); any escape attempt, runtime error or excess is a
    :class:`TemplateRefused` (never a server error)."""
    kind = "html" if channel in HTML_CHANNELS else "text"
    answer = render_isolated(source, dict(context), kind=kind)
    if answer.issue is not None:
        raise _refused(*answer.issue)
    return answer.out or ""


def render_here(source: str, context: Mapping[str, Any], *, html: bool) -> str:
    """The render itself, in this process: only the sandbox worker calls it."""
    try:
        return _bounded_output(_compiled(html, source), dict(context))
    except SecurityError as exc:
        raise _refused("template", "unsafe", f"blocked by the sandbox: {exc}") from None
    except TemplateError as exc:
        raise _refused("template", "render", f"does not render: {exc}") from None
    except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
        # Template arithmetic on bad values (e.g. a trait that is text): the template's fault.
        raise _refused("template", "render", f"does not render: {exc}") from None


def _bounded_output(template: Template, context: dict[str, Any]) -> str:
    """The output, stopped as soon as it passes :data:`MAX_OUTPUT` (a loop that prints would
    otherwise pile up its pieces before any length check)."""
    pieces: list[str] = []
    size = 0
    for piece in template.generate(context):
        size += len(piece)
        if size > MAX_OUTPUT:
            raise _refused("template", "too_long", f"renders to more than {MAX_OUTPUT} characters")
        pieces.append(piece)
    return "".join(pieces)
