"""SQL statements per request, as an `X-SQL-Count` response header (config SQL_COUNT_HEADER).

Off by default; the benchmark turns it on to count the statements each page runs.
"""

from flask import Flask, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _count(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_request_context():
        g._sql_count = g.get("_sql_count", 0) + 1


def init_app(app: Flask) -> None:
    if not app.config.get("SQL_COUNT_HEADER"):
        return
    if not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)

    @app.before_request
    def _reset() -> None:
        g._sql_count = 0

    @app.after_request
    def _header(response):
        response.headers["X-SQL-Count"] = str(g.get("_sql_count", 0))
        return response
