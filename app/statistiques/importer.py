"""`flask --app app cra import FICHIER.csv`: all rows or none; every bad row reported with its line number.

Columns (header on line 1, `;` or `,` separator, UTF-8 with or without BOM):
date; conseiller_id or conseiller_email; canal; activite; nb_participants; duree; themes (codes separated
by `|`); age_moins_12 … age_plus_60; statut_etudiant … statut_heterogene; commune_code (optional).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.models import Commune, Conseiller
from app.statistiques import agregats
from app.statistiques.dimensions import AGES, STATUTS
from app.statistiques.saisie import CraInvalide, valider

COLONNES_OBLIGATOIRES = {"date", "canal", "activite", "nb_participants", "duree", "themes"}
COLONNES = (["date", "conseiller_id", "conseiller_email", "canal", "activite", "nb_participants", "duree", "themes"]
            + [f"age_{c}" for c in AGES] + [f"statut_{c}" for c in STATUTS] + ["commune_code"])


@dataclass
class Rapport:
    lignes: int = 0
    importes: int = 0
    erreurs: list[tuple[int, str]] = field(default_factory=list)


def _lire(contenu: str) -> csv.DictReader:
    premiere = contenu.split("\n", 1)[0]
    delimiter = ";" if premiere.count(";") >= premiere.count(",") else ","
    return csv.DictReader(io.StringIO(contenu, newline=""), delimiter=delimiter)


def importer(contenu: str, source: str = "import") -> Rapport:
    """Validate every row, then insert all of them with their roll-up in one transaction (or nothing)."""
    rapport = Rapport()
    lecteur = _lire(contenu.lstrip("\ufeff"))
    entetes = {(h or "").strip() for h in (lecteur.fieldnames or [])}
    manquantes = sorted(COLONNES_OBLIGATOIRES - entetes)
    if not entetes & {"conseiller_id", "conseiller_email"}:
        manquantes.append("conseiller_id (ou conseiller_email)")
    if manquantes:
        rapport.erreurs.append((1, f"colonnes manquantes : {', '.join(manquantes)}"))
        return rapport
    inconnues = sorted(entetes - set(COLONNES))
    if inconnues:
        rapport.erreurs.append((1, f"colonnes inconnues : {', '.join(inconnues)}"))
        return rapport

    lignes: list[tuple[int, dict]] = []
    for row in lecteur:
        values = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue
        lignes.append((lecteur.line_num, values))
    rapport.lignes = len(lignes)

    ids = {int(v["conseiller_id"]) for _, v in lignes if v.get("conseiller_id", "").isdigit()}
    emails = {v["conseiller_email"].lower() for _, v in lignes if v.get("conseiller_email")}
    conseillers_par_id: dict[int, tuple[int, int | None]] = {}
    conseillers_par_email: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(ids), 1000):
        chunk = sorted(ids)[start:start + 1000]
        for cid, sid in db.session.execute(select(Conseiller.id, Conseiller.structure_id).where(Conseiller.id.in_(chunk))):
            conseillers_par_id[cid] = (cid, sid)
    for start in range(0, len(emails), 1000):
        chunk = sorted(emails)[start:start + 1000]
        for cid, sid, email in db.session.execute(
                select(Conseiller.id, Conseiller.structure_id, Conseiller.email_pro)
                .where(db.func.lower(Conseiller.email_pro).in_(chunk))):
            conseillers_par_email[email.lower()] = (cid, sid)
    communes = communes_connues({v["commune_code"].upper() for _, v in lignes if v.get("commune_code")})

    rapports: list[dict] = []
    for numero, values in lignes:
        messages: list[str] = []
        try:
            cra = valider(values)
        except CraInvalide as exc:
            cra = None
            messages += [f"{k} : {v}" for k, v in exc.erreurs.items()]
        if values.get("conseiller_id"):
            conseiller = conseillers_par_id.get(int(values["conseiller_id"])) if values["conseiller_id"].isdigit() else None
        else:
            conseiller = conseillers_par_email.get(values.get("conseiller_email", "").lower())
        if conseiller is None:
            messages.append("conseiller : conseiller inconnu")
        elif conseiller[1] is None:
            messages.append("conseiller : ce conseiller n'est rattaché à aucune structure")
        if cra and cra["commune_code"] and cra["commune_code"] not in communes:
            messages.append(f"commune_code : commune inconnue ({cra['commune_code']})")
        if messages:
            rapport.erreurs.append((numero, " ; ".join(messages)))
            continue
        cra.update(conseiller_id=conseiller[0], structure_id=conseiller[1], source=source)
        rapports.append(cra)

    if rapport.erreurs or not rapports:
        return rapport
    try:
        agregats.enregistrer(rapports)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    rapport.importes = len(rapports)
    return rapport


cra_cli = AppGroup("cra", help="Comptes rendus d'activité des conseillers numériques.")

ERREURS_AFFICHEES = 100


@cra_cli.command("import")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False))
def import_command(fichier: str) -> None:
    """Importe un fichier CSV de comptes rendus d'activité (tout ou rien)."""
    with open(fichier, encoding="utf-8-sig", newline="") as f:
        contenu = f.read()
    rapport = importer(contenu)
    if rapport.erreurs:
        for numero, message in rapport.erreurs[:ERREURS_AFFICHEES]:
            click.echo(f"ligne {numero} : {message}", err=True)
        if len(rapport.erreurs) > ERREURS_AFFICHEES:
            click.echo(f"… et {len(rapport.erreurs) - ERREURS_AFFICHEES} autres lignes en erreur.", err=True)
        raise click.ClickException(
            f"{len(rapport.erreurs)} ligne(s) en erreur sur {rapport.lignes} : rien n'a été importé.")
    click.echo(f"{rapport.importes} compte(s) rendu(s) importé(s).")


@cra_cli.command("agreger")
def agreger_command() -> None:
    """Recalcule les agrégats mensuels à partir des comptes rendus."""
    lignes = agregats.reconstruire()
    db.session.commit()
    click.echo(f"{lignes} ligne(s) d'agrégats mensuels recalculée(s).")


def communes_connues(codes: set[str]) -> set[str]:
    """The INSEE codes among `codes` that name a commune, read in batches (one statement per 1,000)."""
    connues: set[str] = set()
    ordonnes = sorted(codes)
    for start in range(0, len(ordonnes), 1000):
        connues.update(db.session.scalars(select(Commune.code).where(Commune.code.in_(ordonnes[start:start + 1000]))))
    return connues
