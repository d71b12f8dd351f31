"""Demo data of the statistics package: reports (CRA) and coordinators with their territory.

`demo seed` adds a few thousand reports for the base demo; `demo seed --scale N` adds N × one million
reports spread over the last three years, inserted in bulk (COPY on PostgreSQL, batched multi-row
inserts on SQLite), then builds the monthly roll-up in one SQL statement.
"""

from __future__ import annotations

import os
import random
import time
from datetime import date, datetime, timedelta

import click
from sqlalchemy import func, insert, select

from app import demo
from app.extensions import db
from app.models import Conseiller, Departement, Structure
from app.statistiques import agregats
from app.statistiques.dimensions import ACTIVITES, AGES, CANAUX, DUREES, STATUTS, THEME_BITS
from app.statistiques.models import Cra, PerimetreCoordination
from app.statistiques.saisie import PARIS

# DEMO_CRA_PAR_ECHELLE lowers it where volume of reports is not what is measured (make bench).
CRA_PAR_ECHELLE = int(os.environ.get("DEMO_CRA_PAR_ECHELLE", "1000000"))
JOURS = 3 * 365
COORDINATEURS_PAR_ECHELLE = 300

_CANAUX = (list(CANAUX), [55, 20, 5, 20])
_ACTIVITES = (list(ACTIVITES), [70, 20, 10])
_DUREES = (list(DUREES), [25, 45, 22, 8])
_AGES = (list(AGES), [3, 7, 20, 35, 35])
_STATUTS = (list(STATUTS), [10, 25, 25, 35, 5])
_THEMES = (list(THEME_BITS.values()), [14, 10, 9, 9, 6, 5, 3, 4, 6, 3, 2, 14, 6, 3, 3, 3, 2, 2, 1])
_COLONNES = (["date", "canal", "activite", "nb_participants"] + [f"age_{c}" for c in AGES]
             + [f"statut_{c}" for c in STATUTS] + ["themes", "duree", "commune_code", "conseiller_id",
                                                   "structure_id", "source"])


def _cumul(weights):
    total, out = 0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def generateur(rng: random.Random, conseillers: list[tuple[int, int, str | None]], fin: date, jours: int = JOURS):
    """Yield report tuples (in _COLONNES order) for random conseillers over `jours` days up to `fin`."""
    choices = rng.choices
    canaux, cw = _CANAUX[0], _cumul(_CANAUX[1])
    activites, aw = _ACTIVITES[0], _cumul(_ACTIVITES[1])
    durees, dw = _DUREES[0], _cumul(_DUREES[1])
    ages_w, statuts_w = _cumul(_AGES[1]), _cumul(_STATUTS[1])
    themes, tw = _THEMES[0], _cumul(_THEMES[1])
    nb_ages, nb_statuts = len(AGES), len(STATUTS)
    debut = fin - timedelta(days=jours - 1)
    dates = [debut + timedelta(days=i) for i in range(jours)]
    while True:
        conseiller_id, structure_id, commune = conseillers[int(rng.random() * len(conseillers))]
        activite = choices(activites, cum_weights=aw)[0]
        if activite == "individuel":
            n = 1
        elif activite == "atelier":
            n = rng.randint(2, 12)
        else:
            n = rng.randint(1, 3)
        ages = [0] * nb_ages
        for i in choices(range(nb_ages), cum_weights=ages_w, k=n):
            ages[i] += 1
        statuts = [0] * nb_statuts
        for i in choices(range(nb_statuts), cum_weights=statuts_w, k=n):
            statuts[i] += 1
        mask = 0
        for bit in choices(themes, cum_weights=tw, k=1 + int(rng.random() * 2.2)):
            mask |= bit
        yield (dates[int(rng.random() * jours)], choices(canaux, cum_weights=cw)[0], activite, n, *ages, *statuts,
               mask, choices(durees, cum_weights=dw)[0], commune, conseiller_id, structure_id, "demo")


def _conseillers(where) -> list[tuple[int, int, str | None]]:
    return db.session.execute(
        select(Conseiller.id, Conseiller.structure_id, Structure.commune_code)
        .join(Structure, Structure.id == Conseiller.structure_id)
        .where(Conseiller.statut == "actif", where).order_by(Conseiller.id)).all()


def inserer_en_masse(lignes, total: int, batch: int = 20_000) -> None:
    """Bulk insert of report tuples, in the session's transaction."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY cra ({', '.join(_COLONNES)}, created_at) FROM STDIN") as copy:
            maintenant = datetime.now(PARIS)
            for _, ligne in zip(range(total), lignes, strict=False):
                copy.write_row((*ligne, maintenant))
        return
    maintenant = datetime.now(PARIS)
    stmt = insert(Cra)
    buffer = []
    for _, ligne in zip(range(total), lignes, strict=False):
        row = dict(zip(_COLONNES, ligne, strict=True))
        row["created_at"] = maintenant
        buffer.append(row)
        if len(buffer) >= batch:
            db.session.execute(stmt, buffer)
            buffer = []
    if buffer:
        db.session.execute(stmt, buffer)


def _aujourd_hui() -> date:
    return datetime.now(PARIS).date()


def cra_demo(structures, rng: random.Random) -> None:
    """A few thousand reports for the base demo (≈ 20 per conseiller), with their roll-up."""
    ids = [s.id for s in structures]
    conseillers = _conseillers(Conseiller.structure_id.in_(ids))
    if not conseillers:
        return
    gen = generateur(rng, conseillers, _aujourd_hui())
    rapports = [dict(zip(_COLONNES, next(gen), strict=True)) for _ in range(20 * len(conseillers))]
    agregats.enregistrer(rapports)


def coordinateurs_demo(structures, rng: random.Random) -> None:
    """One coordinator per demo département that has none yet, each with its coordinated territory."""
    par_departement: dict[str, list[Structure]] = {}
    for structure in structures:
        par_departement.setdefault(structure.departement_code, []).append(structure)
    for code, liste in sorted(par_departement.items()):
        deja = db.session.scalar(select(func.count()).select_from(Conseiller).join(Structure)
                                 .where(Structure.departement_code == code, Conseiller.est_coordinateur.is_(True)))
        if deja:
            continue
        conseiller = db.session.scalars(
            select(Conseiller).where(Conseiller.structure_id.in_([s.id for s in liste]), Conseiller.statut == "actif")
            .order_by(Conseiller.id)).first()
        if conseiller is None:
            continue
        conseiller.est_coordinateur = True
        conseiller.structure.postes_coordinateur += 1
        departement = db.session.get(Departement, code)
        db.session.add(PerimetreCoordination(conseiller_id=conseiller.id, structure_id=conseiller.structure_id,
                                             niveau="departement", libelle=f"Département {departement}",
                                             departements=code))
    db.session.flush()


def volume(scale: float, rng: random.Random) -> None:
    """N × 1,000,000 reports over three years for the volume conseillers, then the roll-up (SQL)."""
    total = int(CRA_PAR_ECHELLE * scale)
    conseillers = _conseillers(Conseiller.email_pro.like("volume.%"))
    if not conseillers or not total:
        return
    debut = time.monotonic()
    inserer_en_masse(generateur(rng, conseillers, _aujourd_hui()), total)
    insere = time.monotonic()
    lignes = agregats.reconstruire()
    click.echo(f"{total} comptes rendus d'activité insérés en {insere - debut:.0f} s, "
               f"{lignes} lignes d'agrégats mensuels en {time.monotonic() - insere:.0f} s.")
    _coordinateurs_volume(scale, rng, conseillers)


def _coordinateurs_volume(scale: float, rng: random.Random, conseillers) -> None:
    nombre = min(len(conseillers), int(COORDINATEURS_PAR_ECHELLE * scale))
    choisis = rng.sample(conseillers, nombre)
    ids = [c[0] for c in choisis]
    db.session.execute(Conseiller.__table__.update().where(Conseiller.id.in_(ids)).values(est_coordinateur=True))
    deps = dict(db.session.execute(select(Structure.id, Structure.departement_code)
                                   .where(Structure.id.in_({c[1] for c in choisis}))).all())
    noms = dict(db.session.execute(select(Departement.code, Departement.nom)).all())
    rows = []
    for conseiller_id, structure_id, _ in choisis:
        code = deps[structure_id]
        rows.append(dict(conseiller_id=conseiller_id, structure_id=structure_id, niveau="departement",
                         libelle=f"Département {noms.get(code, code)} ({code})", departements=code))
    demo._bulk_insert(PerimetreCoordination, rows)


demo.DEMO_EXTENSIONS += [coordinateurs_demo, cra_demo]
demo.SCALE_EXTENSIONS.append(volume)
