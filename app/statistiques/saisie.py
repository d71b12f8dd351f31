"""Validation of a compte rendu d'activité, shared by the CSV import and the API.

`valider()` turns raw values (CSV cells or JSON) into the columns of a `Cra`, or raises `CraInvalide`
with one French message per field. The conseiller and its structure are resolved by the caller.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.statistiques.dimensions import ACTIVITES, AGES, CANAUX, DUREES, STATUTS, THEMES, themes_mask

DATE_MIN = date(2020, 11, 1)  # first conseillers numériques in post
PARTICIPANTS_MAX = 200
PARIS = ZoneInfo("Europe/Paris")


class CraInvalide(Exception):
    def __init__(self, erreurs: dict[str, str]):
        super().__init__("; ".join(f"{k} : {v}" for k, v in erreurs.items()))
        self.erreurs = erreurs


def _codes(labels: dict[str, str]) -> str:
    return ", ".join(labels)


def _date(value) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def _entier(value, defaut: int | None = None) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        if defaut is None:
            raise ValueError
        return defaut
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError
    return int(text)


def _liste(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        for sep in ("|", ","):
            value = value.replace(sep, " ")
        return [v for v in value.split() if v]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    raise ValueError


def valider(donnees: dict, aujourd_hui: date | None = None) -> dict:
    """Columns of a report (without conseiller/structure) from raw values; CraInvalide lists every error.

    Age bands and statuses come either as flat keys (`age_18_35`, `statut_retraite`: CSV) or as
    objects (`ages: {"18_35": 1}`, `statuts: {"retraite": 1}`: JSON).
    """
    aujourd_hui = aujourd_hui or datetime.now(PARIS).date()
    erreurs: dict[str, str] = {}
    cra: dict = {}

    try:
        cra["date"] = _date(donnees.get("date"))
        if cra["date"] > aujourd_hui:
            erreurs["date"] = "La date ne peut pas être dans le futur."
        elif cra["date"] < DATE_MIN:
            erreurs["date"] = f"La date doit être postérieure au {DATE_MIN.strftime('%d/%m/%Y')}."
    except ValueError:
        erreurs["date"] = "Date attendue au format JJ/MM/AAAA ou AAAA-MM-JJ."

    for champ, labels in (("canal", CANAUX), ("activite", ACTIVITES), ("duree", DUREES)):
        value = str(donnees.get(champ) or "").strip()
        if value not in labels:
            erreurs[champ] = f"Valeur attendue parmi : {_codes(labels)}."
        cra[champ] = value

    try:
        cra["nb_participants"] = _entier(donnees.get("nb_participants"))
        if not 1 <= cra["nb_participants"] <= PARTICIPANTS_MAX:
            raise ValueError
    except ValueError:
        erreurs["nb_participants"] = f"Nombre entier entre 1 et {PARTICIPANTS_MAX} attendu."
        cra["nb_participants"] = None
    if cra.get("activite") == "individuel" and cra["nb_participants"] not in (None, 1):
        erreurs["nb_participants"] = "Un accompagnement individuel concerne une seule personne."

    for prefixe, cle_objet, labels in (("age", "ages", AGES), ("statut", "statuts", STATUTS)):
        objet = donnees.get(cle_objet)
        if objet is not None and not isinstance(objet, dict):
            erreurs[cle_objet] = "Objet attendu, par exemple {\"" + next(iter(labels)) + "\": 1}."
            objet = {}
        inconnus = sorted(set(objet or {}) - set(labels))
        if inconnus:
            erreurs[cle_objet] = f"Clés inconnues : {', '.join(inconnus)} (attendues : {_codes(labels)})."
        total = 0
        for code in labels:
            raw = (objet or {}).get(code) if objet is not None else donnees.get(f"{prefixe}_{code}")
            try:
                cra[f"{prefixe}_{code}"] = _entier(raw, 0)
                total += cra[f"{prefixe}_{code}"]
            except ValueError:
                erreurs[f"{prefixe}_{code}"] = "Nombre entier positif attendu."
        if cra["nb_participants"] and not any(k.startswith(prefixe) for k in erreurs) and total != cra["nb_participants"]:
            nom = "tranches d'âge" if prefixe == "age" else "statuts"
            erreurs[cle_objet] = (f"La somme des {nom} ({total}) doit être égale au nombre de participants "
                                  f"({cra['nb_participants']}).")

    try:
        themes = _liste(donnees.get("themes"))
        inconnus = sorted(set(themes) - set(THEMES))
        if inconnus:
            erreurs["themes"] = f"Thèmes inconnus : {', '.join(inconnus)} (attendus : {_codes(THEMES)})."
        elif not themes:
            erreurs["themes"] = "Au moins un thème est obligatoire."
        else:
            cra["themes"] = themes_mask(themes)
    except ValueError:
        erreurs["themes"] = "Liste de thèmes attendue."

    commune = str(donnees.get("commune_code") or donnees.get("commune") or "").strip().upper()
    cra["commune_code"] = commune or None
    if commune and not (len(commune) == 5 and commune[:2].isalnum() and commune[2:].isdigit()):
        erreurs["commune_code"] = "Code INSEE de commune attendu (5 caractères)."

    if erreurs:
        raise CraInvalide(erreurs)
    return cra
