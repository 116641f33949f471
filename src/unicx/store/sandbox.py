"""A database for SQL that users write: it holds nothing and can reach nothing.

Custom-trait expressions are checked and re-rendered before they run (profiles/custom_validate),
but a checker can have holes. So user SQL never runs on the workspace database: it runs in a
separate in-memory DuckDB opened with ``enable_external_access=false`` (no files, no network, no
ATTACH, no extension loading) and ``lock_configuration=true`` (no ``SET`` can undo that), over
Arrow tables or streams holding only the columns the expression was allowed to read. Even a
bypass finds no ``api_keys``, ``channel_configs``, workspace secrets or files to reach.

Why not the same options on a cursor of the workspace connection: in DuckDB both are
database-wide, so setting them on one cursor would disable imports, exports and the encryption
extension for the whole process (tried on 1.5.5: another cursor's ``read_text`` was refused).
One sandbox instance serves the process; each run takes its own cursor, whose registered
tables only that cursor sees.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import duckdb
import pyarrow as pa

from unicx.store.store import Params, Store

_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}
_lock = threading.Lock()
_database: duckdb.DuckDBPyConnection | None = None


def _sandbox() -> duckdb.DuckDBPyConnection:
    global _database
    with _lock:
        if _database is None:
            _database = duckdb.connect(":memory:", config=_CONFIG)
        return _database


def run_isolated(
    store: Store,
    sql: str,
    params: Params = None,
    *,
    tables: Mapping[str, pa.Table | pa.RecordBatchReader],
    step: str,
) -> pa.Table:
    """Run ``sql`` in the sandbox over ``tables`` (name -> Arrow table or batch stream) and
    return its result.

    Goes through :meth:`Store.run`, so it is logged and failures arrive as ``StoreError``."""
    cursor = _sandbox().cursor()
    try:
        for name, table in tables.items():
            cursor.register(name, table)
        return store.run(cursor, sql, params, step=step).to_arrow_table()
    finally:
        cursor.close()
