"""Import of the reference territories from the shipped file (`data/territoires.json.gz`).

`flask --app app territoires import [--file PATH] [--dry-run]`

Idempotent upsert in one transaction, with bulk statements: rows are compared with the database
and only new or changed rows are written (a second run writes nothing). Rows that vanished from
the file are deleted, unless another table still references them (a structure in a commune that
merged, for instance): those are kept and reported by code, with what references them, so that
someone fixes the references. The search index of every process is renewed through the version
token (`territoires_version`), only when something changed.

The file is produced by `scripts/build_territoires.py`; its layout is described there.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import Table, bindparam, func, select

from app.extensions import db
from app.models.territoires import Commune, Departement, Epci, Region, TerritoiresVersion, renew_token
from app.territoires.recherche import normaliser

FICHIER_PAR_DEFAUT = Path(__file__).resolve().parents[2] / "data" / "territoires.json.gz"
FORMAT = 1
COLONNES = {
    "regions": ["code", "nom", "est_com"],
    "departements": ["code", "nom", "region", "est_com"],
    "epci": ["code", "nom", "type", "population"],
    "communes": ["code", "nom", "departement", "region", "siren", "codes_postaux", "population", "epci"],
}
CHUNK = 500


class FichierInvalide(Exception):
    """The file cannot be imported (French message)."""


@dataclass
class BilanTable:
    libelle: str
    dans_fichier: int = 0
    ajoutes: int = 0
    modifies: int = 0
    inchanges: int = 0
    supprimes: int = 0
    # code -> {"structure.commune_code": 2, ...}: absent from the file but still referenced, kept.
    conserves: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changements(self) -> int:
        return self.ajoutes + self.modifies + self.supprimes


@dataclass
class RapportImport:
    source: str
    fichier: Path
    tables: dict[str, BilanTable]
    comptes: dict[str, int]
    duree: float = 0.0
    simulation: bool = False

    @property
    def changements(self) -> int:
        return sum(t.changements for t in self.tables.values())

    def lignes(self) -> list[str]:
        c = self.comptes
        out = [f"Import des territoires depuis {self.fichier} ({self.source})"
               + (" — simulation, rien n'a été enregistré" if self.simulation else "")]
        for bilan in self.tables.values():
            out.append(f"  {bilan.libelle} : {_n(bilan.dans_fichier)} dans le fichier — {_n(bilan.ajoutes)} ajouté(s), "
                       f"{_n(bilan.modifies)} modifié(s), {_n(bilan.inchanges)} inchangé(s), "
                       f"{_n(bilan.supprimes)} supprimé(s)")
        out.append(f"En base : {_n(c['regions'])} régions et {_n(c['departements'])} départements, "
                   f"plus {_n(c['com'])} collectivités d'outre-mer ; {_n(c['epci'])} EPCI ; "
                   f"{_n(c['communes'])} communes, dont {_n(c['communes_epci'])} rattachées à un EPCI.")
        for bilan in self.tables.values():
            if bilan.conserves:
                out.append(f"Attention : {len(bilan.conserves)} {bilan.libelle.lower()} absent(e)s du fichier "
                           "sont conservé(e)s car encore référencé(e)s — à corriger :")
                for code, refs in sorted(bilan.conserves.items()):
                    detail = ", ".join(f"{ref} ({n})" for ref, n in sorted(refs.items()))
                    out.append(f"    {code} : {detail}")
        out.append(f"Durée : {self.duree:.1f} s.")
        return out


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def charger(path: Path) -> dict:
    """The file's document, checked (format and columns)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            document = json.load(fh)
    except FileNotFoundError:
        raise FichierInvalide(f"Fichier introuvable : {path}") from None
    except (OSError, EOFError, ValueError) as error:
        raise FichierInvalide(f"Fichier illisible (gzip JSON attendu) : {path} ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FichierInvalide(f"Format de fichier inattendu : {path} (format {FORMAT} attendu).")
    for name, colonnes in COLONNES.items():
        table = document.get(name)
        if not isinstance(table, dict) or table.get("colonnes") != colonnes or not isinstance(table.get("lignes"), list):
            raise FichierInvalide(f"Table « {name} » absente ou colonnes inattendues dans {path}.")
        if any(not isinstance(row, list) or len(row) != len(colonnes) for row in table["lignes"]):
            raise FichierInvalide(f"Ligne mal formée dans la table « {name} » de {path}.")
    return document


def _rows(document: dict) -> dict[Table, dict[str, dict]]:
    """Desired rows per table, keyed by code, with the database column names."""
    regions = {code: {"code": code, "nom": nom, "est_com": bool(est_com)}
               for code, nom, est_com in document["regions"]["lignes"]}
    departements = {code: {"code": code, "nom": nom, "region_code": region, "est_com": bool(est_com)}
                    for code, nom, region, est_com in document["departements"]["lignes"]}
    epcis = {code: {"code": code, "nom": nom, "type": type_, "population": population,
                    "nom_recherche": normaliser(nom)}
             for code, nom, type_, population in document["epci"]["lignes"]}
    communes = {
        code: {"code": code, "nom": nom, "departement_code": dep, "region_code": reg, "epci_code": epci,
               "siren": siren, "codes_postaux": ",".join(codes_postaux), "population": population,
               "nom_recherche": normaliser(nom)}
        for code, nom, dep, reg, siren, codes_postaux, population, epci in document["communes"]["lignes"]
    }
    for code, row in departements.items():
        if row["region_code"] not in regions:
            raise FichierInvalide(f"Département {code} : région {row['region_code']} absente du fichier.")
    for code, row in communes.items():
        if row["departement_code"] not in departements or row["region_code"] not in regions:
            raise FichierInvalide(f"Commune {code} : département ou région absent du fichier.")
        if row["epci_code"] is not None and row["epci_code"] not in epcis:
            raise FichierInvalide(f"Commune {code} : EPCI {row['epci_code']} absent du fichier.")
    return {Region.__table__: regions, Departement.__table__: departements, Epci.__table__: epcis,
            Commune.__table__: communes}


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _references(connection, table: Table, codes: list[str]) -> dict[str, dict[str, int]]:
    """For each code, the rows of other tables (any foreign key to `table`) that still use it."""
    found: dict[str, dict[str, int]] = {}
    for other in db.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            column = fk.parent
            for chunk in _chunks(codes):
                query = select(column, func.count()).where(column.in_(chunk)).group_by(column)
                for code, count in connection.execute(query):
                    found.setdefault(code, {})[f"{other.name}.{column.name}"] = count
    return found


def _upsert(connection, table: Table, desired: dict[str, dict], bilan: BilanTable) -> list[str]:
    """Insert new rows, update changed ones. Returns the codes absent from the file."""
    columns = [c.name for c in table.columns]
    existing = {row.code: row._mapping for row in connection.execute(select(*table.columns))}
    inserts, updates = [], []
    for code, row in desired.items():
        current = existing.get(code)
        if current is None:
            inserts.append(row)
        elif any(current[c] != row[c] for c in columns if c in row):
            updates.append({**row, "_code": code})
    bilan.dans_fichier = len(desired)
    bilan.ajoutes, bilan.modifies = len(inserts), len(updates)
    bilan.inchanges = len(desired) - len(inserts) - len(updates)
    for chunk in _chunks(inserts, 5000):
        connection.execute(table.insert(), chunk)
    if updates:
        values = {c: bindparam(c) for c in columns if c != "code" and c in updates[0]}
        statement = table.update().where(table.c.code == bindparam("_code")).values(values)
        for chunk in _chunks(updates, 5000):
            connection.execute(statement, chunk)
    return sorted(set(existing) - set(desired))


def _delete(connection, table: Table, codes: list[str], bilan: BilanTable) -> None:
    if not codes:
        return
    bilan.conserves = _references(connection, table, codes)
    removable = [code for code in codes if code not in bilan.conserves]
    for chunk in _chunks(removable):
        connection.execute(table.delete().where(table.c.code.in_(chunk)))
    bilan.supprimes = len(removable)


def _counts(connection) -> dict[str, int]:
    def scalar(query) -> int:
        return connection.execute(query).scalar_one()

    return {
        "regions": scalar(select(func.count()).select_from(Region).where(Region.est_com.is_(False))),
        "departements": scalar(select(func.count()).select_from(Departement).where(Departement.est_com.is_(False))),
        "com": scalar(select(func.count()).select_from(Departement).where(Departement.est_com.is_(True))),
        "epci": scalar(select(func.count()).select_from(Epci)),
        "communes": scalar(select(func.count()).select_from(Commune)),
        "communes_epci": scalar(select(func.count()).select_from(Commune).where(Commune.epci_code.is_not(None))),
    }


def importer(path: Path | str | None = None, simulation: bool = False) -> RapportImport:
    """Bring the territory tables to the file's content. One transaction; `simulation` rolls back."""
    started = time.perf_counter()
    path = Path(path) if path else FICHIER_PAR_DEFAUT
    document = charger(path)
    desired = _rows(document)
    source = str(document.get("source") or path.name)[:100]
    bilans = {Region.__table__: BilanTable("Régions"), Departement.__table__: BilanTable("Départements"),
              Epci.__table__: BilanTable("EPCI"), Commune.__table__: BilanTable("Communes")}
    session = db.session
    session.flush()
    connection = session.connection()
    try:
        vanished = {table: _upsert(connection, table, rows, bilans[table]) for table, rows in desired.items()}
        for table in reversed(list(desired)):  # communes first: they reference the others
            _delete(connection, table, vanished[table], bilans[table])
        version = connection.execute(
            select(TerritoiresVersion.source).where(TerritoiresVersion.id == 1)).one_or_none()
        if any(b.changements for b in bilans.values()) or version is None or version.source != source:
            renew_token(connection, source=source)
        counts = _counts(connection)
        if simulation:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    return RapportImport(
        source=source, fichier=path, comptes=counts, simulation=simulation,
        tables={bilan.libelle: bilan for bilan in bilans.values()}, duree=time.perf_counter() - started,
    )


territoires_cli = AppGroup("territoires", help="Territoires de référence : régions, départements, EPCI, communes.")


@territoires_cli.command("import")
@click.option("--file", "fichier", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help=f"Fichier à importer (défaut : {FICHIER_PAR_DEFAUT.relative_to(FICHIER_PAR_DEFAUT.parents[1])}).")
@click.option("--dry-run", "simulation", is_flag=True, help="Affiche ce qui changerait, sans rien enregistrer.")
def import_command(fichier: Path | None, simulation: bool) -> None:
    """Importe ou met à jour les territoires (idempotent)."""
    try:
        rapport = importer(fichier, simulation=simulation)
    except FichierInvalide as error:
        raise click.ClickException(str(error)) from None
    for line in rapport.lignes():
        click.echo(line)
