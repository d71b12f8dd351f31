"""The measured pages: who asks, the URL, its baseline and the bare SQL it needs (the floor)."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Candidature, Conseiller, Departement, Structure, Utilisateur
from app.security.scope import clause_for, scope_for

USERS = ["prefet-38", "prefet-ara", "anct"]


def _scope(app, username: str):
    with app.app_context():
        user = db.session.scalar(select(Utilisateur).where(Utilisateur.username == username))
        return scope_for(user)


def _list_floor(model, columns, order, scope, joins=(), where=(), also=()):
    """What a 50-row list page needs at the least: its count and its page (and `also`, e.g. tab counters)."""
    clause = clause_for(model, scope)
    count = select(func.count()).select_from(model).where(clause, *where)
    page = select(*columns)
    for join in joins:
        page = page.join(*join) if isinstance(join, tuple) else page.join(join)
    page = page.where(clause, *where).order_by(*order).limit(50)

    def run(conn):
        conn.execute(count).scalar()
        conn.execute(page).all()
        for statement in also:
            conn.execute(statement).all()

    return run


def pages(app) -> list[dict]:
    result = []
    for user in USERS:
        scope = _scope(app, user)
        result += [
            {"name": f"liste structures ({user})", "user": user, "path": "/structures/list/",
             "baseline": "/bench-baseline/structures/list/",
             "floor": _list_floor(Structure, [Structure.id, Structure.nom, Structure.type, Structure.siret,
                                              Structure.code_postal, Departement.nom, Structure.statut,
                                              Structure.postes_finances, Structure.postes_coordinateur],
                                  [Structure.nom, Structure.id], scope, joins=[Departement])},
            {"name": f"liste conseillers ({user})", "user": user, "path": "/conseillers/list/",
             "baseline": "/bench-baseline/conseillers/list/",
             "floor": _list_floor(Conseiller, [Conseiller.id, Conseiller.prenom, Conseiller.nom, Conseiller.email_pro,
                                               Structure.nom, Conseiller.statut, Conseiller.date_prise_poste,
                                               Conseiller.est_coordinateur],
                                  [Conseiller.nom, Conseiller.id], scope,
                                  joins=[(Structure, Conseiller.structure_id == Structure.id)])},
            {"name": f"API structures ({user})", "user": user, "path": "/api/v1/structure/"},
            {"name": f"API conseillers ({user})", "user": user, "path": "/api/v1/conseiller/"},
        ]
    with app.app_context():
        detail = db.session.scalar(select(Candidature.id).join(Structure, Structure.id == Candidature.structure_id)
                                   .where(Structure.region_code == "84").order_by(Candidature.id))
    for user in USERS:
        scope = _scope(app, user)
        submitted = [Candidature.statut != "brouillon"]
        result += [
            {"name": f"demandes de coordinateur ({user})", "user": user, "path": "/candidatures/",
             "baseline": "/bench-baseline/candidatures/list/",
             "floor": _list_floor(
                 Candidature, [Candidature.id, Candidature.date_candidature, Candidature.statut, Candidature.avis,
                               Structure.id, Structure.nom, Structure.siret, Structure.code_postal,
                               Structure.departement_code],
                 [Candidature.date_candidature.desc(), Candidature.id.desc()], scope,
                 joins=[(Structure, Structure.id == Candidature.structure_id)], where=submitted,
                 also=[select(Candidature.statut, func.count()).where(clause_for(Candidature, scope), *submitted)
                       .group_by(Candidature.statut)])},
            {"name": f"API candidatures ({user})", "user": user, "path": "/api/v1/candidature/"},
            {"name": f"API gouvernances ({user})", "user": user, "path": "/api/v1/gouvernance/"},
        ]
    result += [
        # What any logged-in page costs here (session, user, menu, layout): the fixed part of every page.
        {"name": "page d'accueil (prefet-38)", "user": "prefet-38", "path": "/"},
        {"name": "détail d'une demande (prefet-ara)", "user": "prefet-ara", "path": f"/candidatures/{detail}"},
        {"name": "page Gouvernance (prefet-38)", "user": "prefet-38", "path": "/gouvernance/departement/38"},
        {"name": "tableau de bord (prefet-38)", "user": "prefet-38", "path": "/tableau-de-bord/departement/38"},
        {"name": "tableau de bord national (anct)", "user": "anct", "path": "/tableau-de-bord/national"},
    ]
    for query in ("grenoble", "saint etienne", "st jean", "38000", "communaute agglomeration", "isere"):
        result.append({"name": f"recherche collectivité « {query} »", "user": "anonyme",
                       "path": "/territoires/recherche?q=" + query.replace(" ", "+")})
    return result
