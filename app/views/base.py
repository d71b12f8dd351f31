"""Base classes for generated screens and APIs: scope, French defaults, streamed CSV export."""

import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, g, has_request_context, request, stream_with_context
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.models.journal import ExportLog
from app.security.scope import READ_RULES, SCOPE_BASE_FILTER, current_scope

PARIS = ZoneInfo("Europe/Paris")
EXPORT_BATCH = 1000


_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def csv_cell(value):
    """A cell as Excel should read it: text typed by anyone (a structure name, a comment) never runs as a
    formula (CSV injection); numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    """CSV Excel opens as is: `;` separator, UTF-8 with BOM, CRLF; streamed row by row."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        buffer.write("\ufeff")
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def export_filename(what: str) -> str:
    today = datetime.now(PARIS).strftime("%Y-%m-%d")
    return f"{what}_{current_scope().label}_{today}.csv"


def record_export(what: str, filters: str) -> None:
    db.session.add(ExportLog(user_id=g.user.id, export=what, scope=current_scope().label, filtres=filters[:1000]))
    db.session.commit()


class ModelInterface(SQLAInterface):
    """FAB's model interface, with each related interface built once: FAB builds a new one for every option
    of every drop-down it renders (≈ 130 per structures list page)."""

    def get_related_interface(self, col_name: str) -> SQLAInterface:
        related = self.__dict__.setdefault("_related_interfaces", {})
        if col_name not in related:
            related[col_name] = super().get_related_interface(col_name)
        return related[col_name]


def scope_related_fields(view, attributes: tuple[str, ...]) -> None:
    """Pickers and filter drop-downs of a related scoped model only offer rows in scope."""
    for relationship in db.inspect(view.datamodel.obj).relationships:
        if relationship.mapper.class_ not in READ_RULES:
            continue
        for attribute in attributes:
            fields = dict(getattr(view, attribute, None) or {})
            filters = list(fields.get(relationship.key, []))
            if SCOPE_BASE_FILTER not in filters:
                fields[relationship.key] = [SCOPE_BASE_FILTER, *filters]
            setattr(view, attribute, fields)


class ScopedModelView(ModelView):
    """Every list, detail, edit, delete and export of a scoped model goes through the scope filter."""

    page_size = 50
    export_name: str = ""
    export_columns: list[tuple[str, Callable]] = []
    export_options: Callable | None = None  # query options for the export (eager loads)

    def __init__(self, **kwargs):
        self.base_filters = [SCOPE_BASE_FILTER, *(self.base_filters or [])]
        scope_related_fields(self, ("add_form_query_rel_fields", "edit_form_query_rel_fields",
                                    "search_form_query_rel_fields"))
        super().__init__(**kwargs)

    def _export_query(self):
        get_filter_args(self._filters)
        joined = self._filters.get_joined_filters(self._base_filters)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        query = self.datamodel.session.query(self.datamodel.obj)
        query = self.datamodel.apply_all(query, joined, order_column=order_column,
                                         order_direction=order_direction)
        # Joined eager loads cannot stream (yield_per): exports name what they need, loaded per batch.
        query = query.options(lazyload("*"), *(self.export_options() if self.export_options else ()))
        return query.order_by(None).order_by(self.datamodel.obj.id).yield_per(EXPORT_BATCH)

    @expose("/export/")
    @has_access
    def export(self):
        if not self.export_columns:
            abort(404)
        query = self._export_query()
        record_export(self.export_name, str(get_filter_args(self._filters) or ""))
        header = [title for title, _ in self.export_columns]
        rows = ([getter(obj) for _, getter in self.export_columns] for obj in query)
        return csv_response(export_filename(self.export_name), header, rows)


class SessionReadsOnly:
    """Our pages may read the API with the browser session; writes need a JWT, because FAB exempts
    its APIs from CSRF protection (a cookie alone must never be enough to change data)."""

    @property
    def allow_browser_login(self) -> bool:
        return has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")


class ScopedModelRestApi(SessionReadsOnly, ModelRestApi):
    page_size = 50
    max_page_size = 100
    base_order = ("id", "asc")  # without an order, FAB's pages are in no stable order (rows repeat or vanish)

    def __init__(self):
        self.base_filters = [SCOPE_BASE_FILTER, *(self.base_filters or [])]
        scope_related_fields(self, ("add_query_rel_fields", "edit_query_rel_fields", "search_query_rel_fields"))
        super().__init__()
