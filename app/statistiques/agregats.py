"""The monthly roll-up (`CraMensuel`): SQL expressions of every measure, incremental upsert, rebuild.

Every write of reports goes through `enregistrer()` (import, API, demo): the reports and the roll-up
change in the same transaction. The upsert adds to the counters (`col = col + excluded.col`), so two
requests recording reports for the same conseiller and month at the same moment both count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import case, delete, func, insert, literal_column, select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Structure
from app.statistiques.dimensions import ACTIVITES, AGES, CANAUX, DUREES, MESURES, STATUTS, THEME_BITS
from app.statistiques.models import Cra, CraMensuel, CraMensuelDepartement

CLE = ("mois", "conseiller_id", "structure_id")


def premier_du_mois(jour: date) -> date:
    return jour.replace(day=1)


def mesures_brutes(table=None) -> list:
    """SUM expressions over raw reports, labelled with the roll-up's column names, in MESURES order."""
    t = table if table is not None else Cra.__table__
    c = t.c
    exprs = {"nb_cra": func.count(), "nb_participants": func.sum(c.nb_participants)}
    for code in CANAUX:
        exprs[f"canal_{code}"] = func.sum(case((c.canal == code, 1), else_=0))
    for code in ACTIVITES:
        exprs[f"activite_{code}"] = func.sum(case((c.activite == code, 1), else_=0))
    for code in ACTIVITES:
        exprs[f"participants_{code}"] = func.sum(case((c.activite == code, c.nb_participants), else_=0))
    for code in DUREES:
        exprs[f"duree_{code}"] = func.sum(case((c.duree == code, 1), else_=0))
    for code in AGES:
        exprs[f"age_{code}"] = func.sum(c[f"age_{code}"])
    for code in STATUTS:
        exprs[f"statut_{code}"] = func.sum(c[f"statut_{code}"])
    for code, bit in THEME_BITS.items():
        exprs[f"theme_{code}"] = func.sum(case((c.themes.op("&")(bit) != 0, 1), else_=0))
    return [exprs[name].label(name) for name in MESURES]


def mesures_agregees(model=CraMensuel) -> list:
    t = model.__table__
    return [func.sum(t.c[name]).label(name) for name in MESURES]


def compteurs(rapport: dict) -> dict[str, int]:
    """The roll-up increments of one report (a dict of Cra columns)."""
    values = dict.fromkeys(MESURES, 0)
    values["nb_cra"] = 1
    values["nb_participants"] = rapport["nb_participants"]
    values[f"canal_{rapport['canal']}"] = 1
    values[f"activite_{rapport['activite']}"] = 1
    values[f"participants_{rapport['activite']}"] = rapport["nb_participants"]
    values[f"duree_{rapport['duree']}"] = 1
    for code in AGES:
        values[f"age_{code}"] = rapport.get(f"age_{code}", 0)
    for code in STATUTS:
        values[f"statut_{code}"] = rapport.get(f"statut_{code}", 0)
    for code, bit in THEME_BITS.items():
        if rapport["themes"] & bit:
            values[f"theme_{code}"] = 1
    return values


def cumuler(rapports: Iterable[dict]) -> dict[tuple, list[int]]:
    """Group the increments of many reports by month × conseiller × structure."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(MESURES))
    index = {name: i for i, name in enumerate(MESURES)}
    for rapport in rapports:
        key = (premier_du_mois(rapport["date"]), rapport["conseiller_id"], rapport["structure_id"])
        row = totals[key]
        for name, value in compteurs(rapport).items():
            if value:
                row[index[name]] += value
    return totals


def _upsert(rows: list[dict], model=CraMensuel, cle=("structure_id", "conseiller_id", "mois")) -> None:
    dialect = db.session.get_bind().dialect.name
    table = model.__table__
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - the project runs on these two
        raise RuntimeError(f"base non prise en charge : {dialect}")
    stmt = stmt.on_conflict_do_update(
        index_elements=list(cle),
        set_={name: table.c[name] + stmt.excluded[name] for name in MESURES},
    )
    db.session.execute(stmt, rows)


def incrementer(rapports: Iterable[dict], batch: int = 2000) -> int:
    """Add reports (dicts of Cra columns) to the roll-up, in the caller's transaction."""
    rapports = list(rapports)
    totals = cumuler(rapports)
    rows = [dict(zip(CLE, key, strict=True), **dict(zip(MESURES, values, strict=True)))
            for key, values in sorted(totals.items())]
    for start in range(0, len(rows), batch):
        _upsert(rows[start:start + batch])
    # the same counts per month × département of the structure
    structure_ids = sorted({r["structure_id"] for r in rows})
    departements: dict[int, str] = {}
    for start in range(0, len(structure_ids), 1000):
        departements.update(db.session.execute(select(Structure.id, Structure.departement_code)
                                               .where(Structure.id.in_(structure_ids[start:start + 1000]))).all())
    par_departement: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(MESURES))
    for row in rows:
        cumul = par_departement[(row["mois"], departements[row["structure_id"]])]
        for i, name in enumerate(MESURES):
            cumul[i] += row[name]
    lignes = [dict(mois=mois, departement_code=dep, **dict(zip(MESURES, values, strict=True)))
              for (mois, dep), values in sorted(par_departement.items())]
    for start in range(0, len(lignes), batch):
        _upsert(lignes[start:start + batch], CraMensuelDepartement, ("departement_code", "mois"))
    return len(rows)


def enregistrer(rapports: list[dict], batch: int = 5000, retourner_ids: bool = False) -> list[int]:
    """Insert reports and their roll-up in the caller's transaction (the caller commits).

    Returns the new ids in the order of `rapports` when asked (RETURNING, PostgreSQL and SQLite ≥ 3.35).
    """
    ids: list[int] = []
    for start in range(0, len(rapports), batch):
        chunk = rapports[start:start + batch]
        if retourner_ids:
            ids += db.session.scalars(insert(Cra).returning(Cra.id, sort_by_parameter_order=True), chunk).all()
        else:
            db.session.execute(insert(Cra), chunk)
    incrementer(rapports)
    return ids


def _mois_sql():
    t = Cra.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return func.cast(func.date_trunc("month", t.c.date), db.Date)
    return func.date(t.c.date, literal_column("'start of month'"))


def reconstruire() -> int:
    """Recompute the whole roll-up from the reports, in SQL (after a bulk load or to repair it)."""
    t = Cra.__table__
    mois = _mois_sql().label("mois")
    source = (select(mois, t.c.conseiller_id, t.c.structure_id, *mesures_brutes(t))
              .group_by(mois, t.c.conseiller_id, t.c.structure_id))
    db.session.execute(delete(CraMensuel))
    db.session.execute(insert(CraMensuel).from_select(["mois", "conseiller_id", "structure_id", *MESURES], source))
    m = CraMensuel.__table__
    par_departement = (
        select(m.c.mois, Structure.departement_code, *[func.sum(m.c[name]).label(name) for name in MESURES])
        .join(Structure, Structure.id == m.c.structure_id).group_by(m.c.mois, Structure.departement_code))
    db.session.execute(delete(CraMensuelDepartement))
    db.session.execute(insert(CraMensuelDepartement).from_select(["mois", "departement_code", *MESURES],
                                                                 par_departement))
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("cra", "cra_mensuel", "cra_mensuel_departement"):
            db.session.execute(text(f"ANALYZE {table}"))
    return db.session.scalar(select(func.count()).select_from(CraMensuel)) or 0
