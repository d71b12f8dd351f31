"""Territorial scope: which rows a user may see and write. The only place this rule lives.

Reads: `clause_for(Model, scope)` is added to every list, detail, edit, delete, export and API
query (through `FilterInScope` on the generic views, `get_in_scope_or_404` elsewhere).
Writes: a `before_flush` guard refuses any new, changed or deleted row outside the scope of
the signed-in user, whatever the entry point (HTML form, REST API, workflow function).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from flask_login import current_user
from sqlalchemy import event, exists, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.extensions import db
from app.models.structures import Conseiller, Contrat, Structure
from app.models.territoires import Departement, Region
from app.security import roles


class OutOfScope(Exception):
    """A write outside the user's territory."""


@dataclass(frozen=True)
class Scope:
    national: bool = False
    regions: frozenset[str] = field(default_factory=frozenset)
    departements: frozenset[str] = field(default_factory=frozenset)
    structure_ids: frozenset[int] = field(default_factory=frozenset)
    conseiller_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        """Short, file-name safe description (used in export names)."""
        if self.national:
            return "national"
        parts = [f"region-{c}" for c in sorted(self.regions)]
        parts += [f"departement-{c}" for c in sorted(self.departements)]
        parts += [f"structure-{i}" for i in sorted(self.structure_ids)]
        parts += [f"conseiller-{i}" for i in sorted(self.conseiller_ids)]
        return "_".join(parts) or "vide"

    def includes_territory(self, region_code: str | None, departement_code: str | None) -> bool:
        return self.national or region_code in self.regions or departement_code in self.departements


NOTHING = Scope()
NATIONAL = Scope(national=True)


def scope_for(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    names = {role.name for role in user.roles}
    if names & {roles.ANCT, roles.BANQUE_DES_TERRITOIRES}:
        return NATIONAL
    regions: set[str] = set()
    departements: set[str] = set()
    structures: set[int] = set()
    conseillers: set[int] = set()
    if names & set(roles.PREFETS):
        # The real rule: a préfet with a région sees the région, otherwise its département.
        if user.region_code:
            regions.add(user.region_code)
        elif user.departement_code:
            departements.add(user.departement_code)
    if roles.HUB in names:
        regions.update(hub_regions(user))
    if roles.STRUCTURE in names and user.structure_id:
        structures.add(user.structure_id)
    if roles.CONSEILLER in names and user.conseiller_id:
        conseillers.add(user.conseiller_id)
    return Scope(
        regions=frozenset(regions),
        departements=frozenset(departements),
        structure_ids=frozenset(structures),
        conseiller_ids=frozenset(conseillers),
    )


def hub_regions(user) -> set[str]:
    """The régions of the user's AMI hub (app/gouvernances); without a hub, its own région as before."""
    if getattr(user, "hub_id", None):
        from app.gouvernances.models import hub_region

        return set(db.session.scalars(select(hub_region.c.region_code).where(hub_region.c.hub_id == user.hub_id)))
    return {user.region_code} if user.region_code else set()


def current_scope() -> Scope:
    if not has_request_context():
        return NATIONAL  # CLI, workers and migrations act for the platform itself
    if "scope" not in g:
        user = g.get("user") or current_user
        g.scope = scope_for(user)
    return g.scope


# --- Read rules: one SQL clause per scoped model --------------------------------------------

def structure_clause(scope: Scope) -> ColumnElement[bool]:
    if scope.national:
        return true()
    conditions = []
    if scope.regions:
        conditions.append(Structure.region_code.in_(scope.regions))
    if scope.departements:
        conditions.append(Structure.departement_code.in_(scope.departements))
    if scope.structure_ids:
        conditions.append(Structure.id.in_(scope.structure_ids))
    if scope.conseiller_ids:
        conditions.append(
            Structure.id.in_(select(Conseiller.structure_id).where(Conseiller.id.in_(scope.conseiller_ids)))
        )
    return or_(*conditions) if conditions else false()


def via_structure(structure_column, conseiller_column=None) -> Callable[[Scope], ColumnElement[bool]]:
    """Rows that belong to a structure are scoped through it (the real systems' rule)."""

    def clause(scope: Scope) -> ColumnElement[bool]:
        if scope.national:
            return true()
        if scope.structure_ids and not (scope.regions or scope.departements or scope.conseiller_ids):
            return structure_column.in_(scope.structure_ids)
        conditions = []
        if scope.regions or scope.departements or scope.structure_ids:
            territorial = Scope(regions=scope.regions, departements=scope.departements,
                                structure_ids=scope.structure_ids)
            conditions.append(structure_column.in_(select(Structure.id).where(structure_clause(territorial))))
        if scope.conseiller_ids and conseiller_column is not None:
            conditions.append(conseiller_column.in_(scope.conseiller_ids))
        return or_(*conditions) if conditions else false()

    return clause


READ_RULES: dict[type, Callable[[Scope], ColumnElement[bool]]] = {
    Structure: structure_clause,
    Conseiller: via_structure(Conseiller.structure_id, Conseiller.id),
    Contrat: via_structure(Contrat.structure_id, Contrat.conseiller_id),
}


def register_read_rule(model: type, rule: Callable[[Scope], ColumnElement[bool]]) -> None:
    """Later modules declare how their models are scoped (e.g. through `via_structure`)."""
    READ_RULES[model] = rule


# Models not attached to a structure say who may write them: rule(obj, scope) -> bool.
WRITE_RULES: dict[type, Callable[[object, Scope], bool]] = {}


def register_write_rule(model: type, rule: Callable[[object, Scope], bool]) -> None:
    WRITE_RULES[model] = rule


def clause_for(model: type, scope: Scope | None = None) -> ColumnElement[bool]:
    scope = scope or current_scope()
    try:
        rule = READ_RULES[model]
    except KeyError:
        # An unscoped model is national data: only national users may read it through scoped views.
        return true() if scope.national else false()
    return rule(scope)


def in_scope(obj, scope: Scope | None = None) -> bool:
    scope = scope or current_scope()
    if scope.national:
        return True
    model = type(obj)
    mapper = db.inspect(model)
    pk = mapper.primary_key[0]
    ident = getattr(obj, pk.key)
    if ident is None:
        return False
    with db.session.no_autoflush:
        return bool(db.session.scalar(select(exists().where(pk == ident, clause_for(model, scope)))))


def get_in_scope_or_404(model: type, ident):
    """Load one row for the signed-in user: out of scope is indistinguishable from absent."""
    pk = db.inspect(model).primary_key[0]
    row = db.session.scalar(select(model).where(pk == ident, clause_for(model)))
    if row is None:
        abort(404)
    return row


class FilterInScope(BaseFilter):
    """FAB base filter applied to every generic view and API of a scoped model."""

    name = "Territoire"
    arg_name = None

    def apply(self, query, value):
        return query.filter(clause_for(self.model))


SCOPE_BASE_FILTER = ["id", FilterInScope, None]


def departements_in_scope(scope: Scope):
    """The départements a user may pick or filter on (every one for a national role)."""
    if scope.national:
        return true()
    return or_(Departement.code.in_(scope.departements), Departement.region_code.in_(scope.regions))


def regions_in_scope(scope: Scope):
    if scope.national:
        return true()
    return or_(Region.code.in_(scope.regions),
               Region.code.in_(select(Departement.region_code).where(Departement.code.in_(scope.departements))))


class FilterDepartementInScope(BaseFilter):
    """Restricts département pickers and filters to the user's territory."""

    name = "Territoire"

    def apply(self, query, value):
        return query.filter(departements_in_scope(current_scope()))


class FilterRegionInScope(BaseFilter):
    name = "Territoire"

    def apply(self, query, value):
        return query.filter(regions_in_scope(current_scope()))


# --- Write rule ------------------------------------------------------------------------------

def _structure_allowed(structure_id: int | None, scope: Scope) -> bool:
    if structure_id is None:
        return False
    if structure_id in scope.structure_ids:
        return True
    with db.session.no_autoflush:
        return bool(
            db.session.scalar(
                select(exists().where(Structure.id == structure_id, structure_clause(scope)))
            )
        )


def write_allowed(obj, scope: Scope) -> bool:
    if scope.national:
        return True
    if isinstance(obj, Structure):
        if obj.id is not None and obj.id in scope.structure_ids:
            return True
        return scope.includes_territory(obj.region_code, obj.departement_code)
    if isinstance(obj, Conseiller):
        if obj.id is not None and obj.id in scope.conseiller_ids:
            return True
        return _structure_allowed(obj.structure_id, scope)
    if type(obj) in WRITE_RULES:
        return WRITE_RULES[type(obj)](obj, scope)
    structure_id = getattr(obj, "structure_id", None)
    return _structure_allowed(structure_id, scope)


def _guard_writes(session: Session, flush_context, instances) -> None:
    if not has_request_context():
        return
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return  # public forms write through the workflow functions, which check their own rules
    scope = current_scope()
    if scope.national:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj) in READ_RULES and not write_allowed(obj, scope):
            raise OutOfScope(f"{type(obj).__name__} hors du territoire de l'utilisateur")


_REQUEST_CACHES = ("scope", "_roles_cache", "_jwt_extended_jwt", "_jwt_extended_jwt_header", "_jwt_extended_jwt_location",
                   "_jwt_extended_jwt_user")


def _reset_request_caches() -> None:
    # g outlives a request when an app context was already pushed (CLI, tests): who is asking and
    # what they may see is worked out afresh for every request.
    for key in _REQUEST_CACHES:
        g.pop(key, None)
    g.pop("csrf_token", None)  # Flask-WTF's token of the previous request's session (another client in tests)


def init_app(app) -> None:
    app.before_request(_reset_request_caches)
    if not event.contains(Session, "before_flush", _guard_writes):
        event.listen(Session, "before_flush", _guard_writes)
