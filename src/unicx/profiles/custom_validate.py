"""Static checks of a custom trait: one aggregate SQL expression over ``event_profiles``.

The expression is parsed with sqlglot (DuckDB dialect) and walked against allow-lists of syntax,
functions and columns; what runs later is sqlglot's re-rendering of the checked tree, never the
raw text, so comments or stray tokens cannot smuggle anything in. Two rewrites make it safe to
run inside the ingest pipeline's transaction: casts become TRY_CAST (a bad value yields null
instead of aborting the refresh) and now()/today() become the refresh's as-of time.

sqlglot renders some nodes back from their raw text (a user-defined type in ``CAST(x AS
main."<text>")`` was printed verbatim, smuggling statements past every check), so the defence
has three layers: only built-in types in casts, a rendering that must parse back to exactly the
checked tree, and execution in a sandbox database that holds nothing but the used columns
(:mod:`unicx.store.sandbox`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import SqlglotError

from unicx.errors import FieldIssue, ValidationError
from unicx.ingest.schema import COLUMN_NAMES

MAX_SQL_CHARS = 2000
MAX_NODES = 400
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLUMNS: frozenset[str] = frozenset((*COLUMN_NAMES, "event_key", "profile_id"))


def _classes(*names: str) -> tuple[type[exp.Expr], ...]:
    return tuple(c for n in names if isinstance(c := getattr(exp, n, None), type))


AGGREGATES = _classes(
    "Count", "Sum", "Avg", "Min", "Max", "ArgMax", "ArgMin", "CountIf", "ApproxDistinct",
    "Median", "PercentileCont", "PercentileDisc", "Stddev", "StddevPop", "StddevSamp",
    "Variance", "VariancePop", "LogicalAnd", "LogicalOr", "AnyValue", "First", "Last",
    "GroupConcat", "Mode", "Quantile",
)  # fmt: skip
SCALARS = _classes(
    "Cast", "TryCast", "Coalesce", "Case", "If", "Nullif", "Lower", "Upper", "Length",
    "Substring", "Trim", "Concat", "ConcatWs", "Abs", "Round", "Floor", "Ceil", "Greatest",
    "Least", "Extract", "DateDiff", "DateTrunc", "TimestampTrunc", "JSONExtract",
    "JSONExtractScalar", "RegexpLike", "RegexpExtract", "StrPosition", "StartsWith", "EndsWith",
    "CurrentTimestamp", "CurrentDate", "Sqrt", "Ln", "Log", "Pow", "Sign", "Date", "Hour",
    "DayOfWeek", "Month", "Year", "Day", "Contains", "ArrayContains", "Replace", "Left", "Right",
    "TimeToUnix", "TimeToStr", "Split",
)  # fmt: skip
# DuckDB functions sqlglot does not model (parsed as Anonymous), by lower-case name.
NAMED_FUNCTIONS = frozenset({
    "json_exists", "json_type", "json_array_length", "json_extract_path_text", "date_part",
    "datepart", "dayofweek", "isodow", "epoch_ms", "try_strptime", "now", "get_current_timestamp",
    "sum_if", "bool_and", "bool_or", "list_contains", "array_length", "len", "minute",
    "week", "quarter", "dayname", "monthname", "hash", "md5_number",
})  # fmt: skip
SYNTAX = _classes(
    "Column", "Identifier", "Literal", "Boolean", "Null", "Star", "Paren", "DataType",
    "DataTypeParam", "Var", "Interval", "Binary", "Unary", "In", "Between", "Filter", "Where",
    "Distinct", "JSONPath", "JSONPathPart", "Tuple", "Array", "Bracket", "Ordered", "Order",
    "Is", "Not", "Neg",
)  # fmt: skip
STATEMENTS = _classes(
    "Query", "DDL", "DML", "Command", "Set", "Pragma", "Use", "Transaction", "Commit",
    "Rollback", "Describe", "Copy", "Attach", "Detach", "Drop", "Create", "Insert", "Update",
    "Delete", "Merge", "Alter", "Summarize", "Export",
)  # fmt: skip
_FORBIDDEN = re.compile(
    r"^(read_|parquet_|pragma_|duckdb_|sniff_|iceberg|delta|postgres|mysql|sqlite|http|glob$"
    r"|getenv$|current_setting$|getvariable$|query$|query_table$|load|install|system|shell|copy"
    r"|attach|export|import)|_scan$"
)
# Casts may only name these built-in types: anything else (a user-defined or dialect-specific
# type) is rendered from its own text by sqlglot.
_T = exp.DataType.Type
TYPES = frozenset({
    _T.BOOLEAN, _T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.INT128, _T.UTINYINT,
    _T.USMALLINT, _T.UINT, _T.UBIGINT, _T.FLOAT, _T.DOUBLE, _T.DECIMAL, _T.VARCHAR, _T.TEXT,
    _T.CHAR, _T.DATE, _T.TIME, _T.TIMESTAMP, _T.TIMESTAMPTZ, _T.INTERVAL, _T.JSON, _T.UUID,
    _T.ARRAY, _T.LIST,
})  # fmt: skip
_TYPE_ARGS = frozenset({"this", "expressions", "nested"})
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = re.compile(r"^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?$")
_NOW = "CAST($now AS TIMESTAMPTZ)"
_TODAY = "CAST(timezone($tz, CAST($now AS TIMESTAMPTZ)) AS DATE)"


def fail(field: str, rule: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", issues=[FieldIssue(field, rule, message)])


def check_name(name: str, *, builtins: frozenset[str]) -> None:
    if not NAME_PATTERN.match(name):
        raise fail("name", "pattern", "use 1-63 lower-case letters, digits or _, starting a-z")
    if name in builtins:
        raise fail("name", "builtin_clash", f"{name!r} is a built-in trait")


@dataclass(frozen=True)
class Compiled:
    """The DuckDB SQL to run (uses ``$now`` and ``$tz``) and the event columns it reads."""

    sql: str
    columns: frozenset[str]


def compile_expression(sql: str) -> Compiled:
    """Check ``sql`` and return what to run."""
    if len(sql) > MAX_SQL_CHARS:
        raise fail("sql", "too_long", f"at most {MAX_SQL_CHARS} characters")
    if not sql.strip():
        raise fail("sql", "required", "give an aggregate SQL expression")
    return compile_tree(_parse(sql))


def compile_tree(tree: exp.Expr) -> Compiled:
    """Check a parsed expression, rewrite and render it, and prove the rendering means the
    checked tree: parsed back it must give one expression equal to it."""
    _check_tree(tree)
    rewritten = _rewrite(tree)
    rendered = rewritten.sql(dialect="duckdb")
    try:
        again = sqlglot.parse(rendered, read="duckdb")
    except (SqlglotError, RecursionError):
        again = []
    if len(again) != 1 or again[0] is None or _unparen(again[0]) != _unparen(rewritten):
        raise fail("sql", "unsafe_rendering", "the expression does not render back to itself")
    columns = frozenset(c.name for c in rewritten.find_all(exp.Column))
    return Compiled(sql=rendered, columns=columns)


def _parse(sql: str) -> exp.Expr:
    try:
        tokens = sqlglot.tokenize(sql, read="duckdb")
        if any(t.token_type == TokenType.SEMICOLON for t in tokens):
            raise fail("sql", "single_expression", "one expression only: no ';' or statements")
        parsed = sqlglot.parse(sql, read="duckdb")
    except SqlglotError as exc:
        raise fail("sql", "syntax", f"not valid SQL: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise fail("sql", "too_deep", "expression nested too deeply") from None
    if len(parsed) != 1 or parsed[0] is None:
        raise fail("sql", "single_expression", "one expression only")
    return parsed[0]


def _check_tree(tree: exp.Expr) -> None:
    if isinstance(tree, STATEMENTS) and not isinstance(tree, exp.Subquery):
        raise fail("sql", "statement", "statements are not allowed: give one expression")
    nodes = list(tree.walk())
    if len(nodes) > MAX_NODES:
        raise fail("sql", "too_complex", f"at most {MAX_NODES} syntax nodes")
    for node in nodes:
        _check_node(node)
    if not any(isinstance(n, AGGREGATES) for n in nodes):
        raise fail("sql", "not_aggregate", "must aggregate the profile's events, e.g. sum(...)")
    for column in tree.find_all(exp.Column):
        if not _under_aggregate(column):
            raise fail(
                "sql", "not_aggregate", f"column {column.name!r} must be inside an aggregate"
            )


def _check_node(node: exp.Expr) -> None:
    if isinstance(node, (*STATEMENTS, exp.Subquery, exp.Table, exp.From, exp.Join)):
        raise fail("sql", "subquery", "subqueries, statements and tables are not allowed")
    if isinstance(node, exp.Window):
        raise fail("sql", "window", "window functions (OVER) are not allowed")
    if isinstance(node, exp.Column):
        _check_column(node)
    elif isinstance(node, exp.Func) and not isinstance(node, (exp.Binary, exp.Unary)):
        _check_function(node)
    elif not isinstance(node, SYNTAX):
        kind = type(node).__name__
        raise fail("sql", "unsupported", f"{kind} is not allowed in a trait expression")
    elif isinstance(node, exp.DataType):
        _check_type(node)
    elif isinstance(node, exp.Var) or (isinstance(node, exp.Literal) and not node.is_string):
        _check_word(node)


def _check_type(node: exp.DataType) -> None:
    if node.this not in TYPES or {k for k, v in node.args.items() if v} - _TYPE_ARGS:
        shown = node.this.value if isinstance(node.this, exp.DataType.Type) else "?"
        raise fail("sql", "unsupported_type", f"type {shown} is not allowed: use a built-in type")


def _check_word(node: exp.Expr) -> None:
    # A keyword (Var) and a number print their text as is, unquoted.
    text = str(node.this)
    if isinstance(node, exp.Var) and not _WORD.match(text):
        raise fail("sql", "unsupported", f"{text[:40]!r} is not a keyword")
    if isinstance(node, exp.Literal) and not _NUMBER.match(text):
        raise fail("sql", "unsupported", f"{text[:40]!r} is not a number")


def _check_column(node: exp.Column) -> None:
    if node.table:
        raise fail(
            "sql",
            "table_reference",
            f"{node.sql(dialect='duckdb')}: use bare column names (JSON: properties->>'key')",
        )
    if node.name not in COLUMNS:
        raise fail("sql", "unknown_column", f"unknown column {node.name!r} of event_profiles")


def _check_function(node: exp.Func) -> None:
    name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
    if _FORBIDDEN.search(name):
        raise fail("sql", "forbidden_function", f"function {name} is not allowed")
    if isinstance(node, exp.Anonymous):
        if name not in NAMED_FUNCTIONS:
            raise fail("sql", "unknown_function", f"function {name} is not allowed")
    elif not isinstance(node, (*AGGREGATES, *SCALARS)):
        raise fail("sql", "unknown_function", f"function {name} is not allowed")


def _under_aggregate(node: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, AGGREGATES) or (
            isinstance(parent, exp.Filter) and isinstance(parent.this, AGGREGATES)
        ):
            return True
        parent = parent.parent
    return False


def _unparen(tree: exp.Expr) -> exp.Expr:
    """The tree without what the renderer adds on its own: parentheses for precedence
    (``(a ->> 'k') = 'v'``) and casts to BOOLEAN (``BOOL_AND(CAST(x = 1 AS BOOLEAN))``)."""

    def strip(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Paren) or (
            isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.BOOLEAN
        ):
            inner: exp.Expr = node.this
            return inner
        return node

    bare: exp.Expr = tree.copy().transform(strip)
    return bare


def _rewrite(tree: exp.Expr) -> exp.Expr:
    now = sqlglot.parse_one(_NOW, read="duckdb")
    today = sqlglot.parse_one(_TODAY, read="duckdb")

    def swap(node: exp.Expr) -> exp.Expr:
        if type(node) is exp.Cast:
            return exp.TryCast(this=node.this, to=node.args["to"], safe=True)
        if isinstance(node, exp.CurrentTimestamp) or (
            isinstance(node, exp.Anonymous)
            and node.name.lower() in {"now", "get_current_timestamp"}
        ):
            return now.copy()
        if isinstance(node, exp.CurrentDate):
            return today.copy()
        return node

    rewritten: exp.Expr = tree.transform(swap)
    return rewritten
