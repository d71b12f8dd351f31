"""Lieux de médiation numérique: `flask --app app lieux import FILE`.

The file is a CSV export of the national map of digital mediation places, in the data-inclusion
schema for places (``id, nom, siret, adresse, code_postal, code_insee, commune, latitude, longitude,
services, source, date_maj`` and, when present, ``labels_nationaux``; the older « lieux de
médiation numérique » schema's ``pivot`` is read as the SIRET). Separator `,` or `;`, UTF-8 (BOM
accepted); list cells separated by `|` (also `,` or `;` inside a quoted cell).

The file is the new state: every import replaces all places in one transaction, and is recorded
(`LieuImport`: its date is the date the dashboard shows). Rows that cannot be read are skipped and
reported with their line number; the others are imported.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import delete, insert, select
from stdnum.fr import siret as stdnum_siret

from app.extensions import db
from app.gouvernances.models import LieuImport, LieuMediation
from app.models.territoires import Commune, Departement

OBLIGATOIRES = ("id", "nom")
_LISTE = re.compile(r"\s*[|;,]\s*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass
class Rapport:
    lignes: int = 0
    importes: int = 0
    rejets: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        texte = f"{self.importes} lieu(x) importé(s) sur {self.lignes} ligne(s)"
        if self.rejets:
            texte += f", {len(self.rejets)} ligne(s) ignorée(s) :\n  " + "\n  ".join(self.rejets[:50])
            if len(self.rejets) > 50:
                texte += f"\n  … et {len(self.rejets) - 50} autre(s)."
        return texte + "."


class FichierInvalide(ValueError):
    pass


def _norm(texte: str) -> str:
    return _NON_ALNUM.sub("", (texte or "").lower())


def _liste(valeur: str) -> list[str]:
    return [v for v in _LISTE.split((valeur or "").strip().strip("[]")) if v and v.strip("'\"")]


def _float(valeur: str, minimum: float, maximum: float) -> float | None:
    valeur = (valeur or "").strip().replace(",", ".")
    if not valeur:
        return None
    nombre = float(valeur)
    if not minimum <= nombre <= maximum:
        raise ValueError("coordonnée hors limites")
    return nombre


def _date(valeur: str) -> date | None:
    valeur = (valeur or "").strip()
    if not valeur:
        return None
    return datetime.fromisoformat(valeur[:10]).date()


def _departement_insee(code_insee: str, communes: dict[str, str], departements: set[str]) -> str | None:
    if code_insee in communes:
        return communes[code_insee]
    prefixe = code_insee[:3] if code_insee.startswith(("97", "98")) else code_insee[:2]
    return prefixe if prefixe in departements else None


def lire(contenu: str) -> tuple[list[dict], Rapport]:
    """Rows ready to insert, and the report of skipped lines."""
    contenu = contenu.lstrip("\ufeff")
    premiere = contenu.split("\n", 1)[0]
    separateur = ";" if premiere.count(";") > premiere.count(",") else ","
    lecteur = csv.DictReader(io.StringIO(contenu), delimiter=separateur)
    colonnes = {(c or "").strip().lower() for c in lecteur.fieldnames or []}
    manquantes = [c for c in OBLIGATOIRES if c not in colonnes]
    if manquantes:
        raise FichierInvalide(f"Colonnes obligatoires absentes : {', '.join(manquantes)} "
                              f"(colonnes lues : {', '.join(sorted(colonnes)) or 'aucune'}).")
    brutes = [{(k or "").strip().lower(): (v or "").strip() for k, v in ligne.items() if k} for ligne in lecteur]
    rapport = Rapport(lignes=len(brutes))
    codes = {b.get("code_insee", "") for b in brutes if b.get("code_insee")}
    communes: dict[str, str] = {}
    liste_codes = sorted(codes)
    for debut in range(0, len(liste_codes), 900):
        communes.update(db.session.execute(select(Commune.code, Commune.departement_code)
                                           .where(Commune.code.in_(liste_codes[debut:debut + 900]))).all())
    departements = set(db.session.scalars(select(Departement.code)))
    vus: set[str] = set()
    lignes = []
    for numero, b in enumerate(brutes, start=2):
        ident, nom = b.get("id", ""), b.get("nom", "")
        if not ident or not nom:
            rapport.rejets.append(f"ligne {numero} : « id » et « nom » sont obligatoires")
            continue
        if len(ident) > 100:
            rapport.rejets.append(f"ligne {numero} : identifiant trop long")
            continue
        if ident in vus:
            rapport.rejets.append(f"ligne {numero} : identifiant « {ident} » déjà présent plus haut")
            continue
        try:
            latitude = _float(b.get("latitude", ""), -90, 90)
            longitude = _float(b.get("longitude", ""), -180, 180)
        except ValueError:
            rapport.rejets.append(f"ligne {numero} : latitude ou longitude invalide")
            continue
        try:
            date_maj = _date(b.get("date_maj", ""))
        except ValueError:
            rapport.rejets.append(f"ligne {numero} : date_maj invalide (AAAA-MM-JJ attendu)")
            continue
        siret = re.sub(r"\D", "", b.get("siret") or b.get("pivot") or "")
        siret = siret if len(siret) == 14 and stdnum_siret.is_valid(siret) else None
        code_postal = b.get("code_postal", "")
        code_postal = code_postal if re.fullmatch(r"\d{5}", code_postal) else ""
        code_insee = b.get("code_insee", "").upper()
        code_insee = code_insee if re.fullmatch(r"[0-9][0-9AB][0-9]{3}", code_insee) else ""
        departement = _departement_insee(code_insee, communes, departements) if code_insee else None
        if departement is None and code_postal:
            from app.territoires.recherche import departement_pour_code_postal

            departement = departement_pour_code_postal(code_postal)
        labels = _liste(b.get("labels_nationaux", ""))
        normalises = {_norm(label) for label in labels}
        vus.add(ident)
        lignes.append({
            "id": ident, "nom": nom[:255], "siret": siret, "adresse": b.get("adresse", "")[:255],
            "code_postal": code_postal, "code_insee": code_insee or None, "commune": b.get("commune", "")[:200],
            "departement_code": departement, "latitude": latitude, "longitude": longitude,
            "services": "|".join(_liste(b.get("services", ""))), "labels": "|".join(labels),
            "france_services": any(n.startswith("franceservice") for n in normalises),
            "aidants_connect": any(n.startswith("aidantsconnect") for n in normalises),
            "source": b.get("source", "")[:100], "date_maj": date_maj,
        })
    return lignes, rapport


def importer(chemin: Path) -> Rapport:
    """Replace every place by the file's, in one transaction. Raises FichierInvalide."""
    try:
        contenu = chemin.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FichierInvalide("Le fichier n'est pas encodé en UTF-8.") from exc
    try:
        lignes, rapport = lire(contenu)
        trace = LieuImport(fichier=chemin.name[:255], lignes=rapport.lignes, importes=len(lignes),
                           rejetes=len(rapport.rejets))
        db.session.add(trace)
        db.session.flush()
        db.session.execute(delete(LieuMediation))
        for debut in range(0, len(lignes), 2000):
            db.session.execute(insert(LieuMediation),
                               [{**ligne, "import_id": trace.id} for ligne in lignes[debut:debut + 2000]])
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    rapport.importes = len(lignes)
    return rapport


lieux_cli = AppGroup("lieux", help="Lieux de médiation numérique (cartographie nationale).")


@lieux_cli.command("import")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(fichier: Path) -> None:
    """Remplace les lieux de médiation numérique par ceux du fichier CSV (schéma data.inclusion)."""
    try:
        rapport = importer(fichier)
    except FichierInvalide as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(rapport))
