"""Whatever the custom-trait validator accepts renders to SQL that reads only allowed columns and
functions and parses back to one expression (hypothesis over sqlglot trees and over text)."""

from __future__ import annotations

import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import TokenType, exp

from unicx.errors import ValidationError
from unicx.profiles.custom_validate import (
    AGGREGATES,
    COLUMNS,
    NAMED_FUNCTIONS,
    SCALARS,
    TYPES,
    compile_expression,
    compile_tree,
)

HOSTILE = st.sampled_from(
    [
        "x",
        'a"b',
        "a'b",
        "1; SELECT 1",
        "INT); COPY (SELECT 1) TO '/tmp/p'; SELECT (1",
        "VARCHAR) || (SELECT key_hash FROM api_keys) || CAST(1 AS VARCHAR",
        "read_text('/etc/hostname')",
        "--",
        "/*",
        "*/",
        "`",
        "\\",
        "\n",
    ]
) | st.text(alphabet="abc'\";()-/* ,|\\\n", max_size=12)
NAMES = st.sampled_from(sorted(COLUMNS)) | HOSTILE
FUNCTIONS = st.sampled_from([*sorted(NAMED_FUNCTIONS), "read_text", "getenv", "query"]) | HOSTILE
TYPE_NAMES = st.sampled_from(list(exp.DataType.Type))


def _datatype(draw: st.DrawFn) -> exp.DataType:
    kind = draw(TYPE_NAMES)
    node = exp.DataType(this=kind)
    if kind == exp.DataType.Type.USERDEFINED or draw(st.booleans()):
        node.set("kind", draw(HOSTILE))
    return node


@st.composite
def leaves(draw: st.DrawFn) -> exp.Expr:
    choice = draw(st.integers(0, 5))
    if choice == 0:
        quoted = draw(st.booleans())
        return exp.Column(this=exp.Identifier(this=draw(NAMES), quoted=quoted))
    if choice == 1:
        return exp.Literal.string(draw(HOSTILE))
    if choice == 2:
        return exp.Literal(this=draw(st.sampled_from(["1", "2.5", "1; SELECT 2"])), is_string=False)
    if choice == 3:
        return exp.Var(this=draw(HOSTILE))
    if choice == 4:
        return exp.Star()
    return exp.Null()


def _extend(children: st.SearchStrategy[exp.Expr]) -> st.SearchStrategy[exp.Expr]:
    @st.composite
    def node(draw: st.DrawFn) -> exp.Expr:
        child = draw(children)
        choice = draw(st.integers(0, 7))
        if choice == 0:
            return exp.Cast(this=child, to=_datatype(draw))
        if choice == 1:
            return exp.Anonymous(this=draw(FUNCTIONS), expressions=[child])
        if choice == 2:
            return draw(st.sampled_from([exp.Sum, exp.Max, exp.Count, exp.Min]))(this=child)
        if choice == 3:
            return exp.Add(this=child, expression=draw(children))
        if choice == 4:
            return exp.DPipe(this=child, expression=draw(children))
        if choice == 5:
            table = exp.Table(this=exp.Identifier(this=draw(HOSTILE)))
            return exp.Subquery(this=exp.Select(expressions=[child]).from_(table))
        if choice == 6:
            return exp.Paren(this=child)
        return exp.Filter(this=exp.Max(this=child), expression=exp.Where(this=draw(children)))

    return node()


TREES = st.recursive(leaves(), _extend, max_leaves=8)


def _assert_safe(sql: str) -> None:
    """The invariants of accepted SQL, checked on a fresh parse of the rendering."""
    tokens = sqlglot.tokenize(sql, read="duckdb")
    assert not any(t.token_type == TokenType.SEMICOLON for t in tokens), sql
    parsed = sqlglot.parse(sql, read="duckdb")
    assert len(parsed) == 1 and parsed[0] is not None, sql
    tree = parsed[0]
    for node in tree.walk():
        assert not isinstance(node, (exp.Query, exp.Subquery, exp.Table, exp.Command)), sql
        if isinstance(node, exp.Column):
            assert node.name in COLUMNS and not node.table, sql
        if isinstance(node, exp.DataType):
            assert node.this in TYPES, sql
        if isinstance(node, exp.Anonymous):
            assert node.name.lower() in NAMED_FUNCTIONS, sql
        elif isinstance(node, exp.Func) and not isinstance(node, (exp.Binary, exp.Unary)):
            assert isinstance(node, (*AGGREGATES, *SCALARS)) or node.sql_name() == "TRY_CAST"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_accepted_trees_render_safely(tree: exp.Expr) -> None:
    try:
        compiled = compile_tree(tree)
    except ValidationError:
        return
    _assert_safe(compiled.sql)
    assert compiled.columns <= COLUMNS


@settings(max_examples=300, deadline=None)
@given(type_text=HOSTILE, function=FUNCTIONS, column=NAMES)
def test_accepted_text_renders_safely(type_text: str, function: str, column: str) -> None:
    quoted = column.replace('"', '""')
    for sql in (
        f'max(CAST(1 AS main."{quoted}"))',
        f'max(CAST("{quoted}" AS {type_text}))',
        f"max({function}(event))",
        f"count(*) FILTER (WHERE \"{quoted}\" = '{type_text}')",
    ):
        try:
            compiled = compile_expression(sql)
        except ValidationError:
            continue
        _assert_safe(compiled.sql)
