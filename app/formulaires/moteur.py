"""The engine: visibility, server-side validation and display of answers, for one definition.

Pure functions over a definition (a dict) and raw submitted values; the web layer (rendu.py,
views.py) and the service (service.py) both go through here, so there is one source of truth.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from app.formulaires import conditions
from app.formulaires.definition import champs, sections
from app.formulaires.fichiers import verifier_fichier
from app.formulaires.types_champs import (
    DEFAULT_GROUP_MAX_ITEMS,
    MAX_ITEMS_CEILING,
    TYPES,
    Invalide,
    TexteRiche,
)

BROUILLON = "brouillon"  # completeness rules (required, min items) are not checked yet
DEPOT = "depot"  # every rule


@dataclass
class Brut:
    """What was submitted, per field key, before any parsing."""

    valeurs: dict[str, list[str]] = field(default_factory=dict)
    groupes: dict[str, list[dict[str, list[str]]]] = field(default_factory=dict)
    fichiers: dict[str, FileStorage | None] = field(default_factory=dict)
    supprimer: set[str] = field(default_factory=set)


@dataclass
class Resultat:
    reponses: dict[str, Any]
    erreurs: dict[str, list[str]]  # field key (or "groupe-0-sous_champ") -> French messages
    fichiers: list[tuple[str, FileStorage, dict]]  # new uploads to store: (key, file, answer metadata)
    visibles: set[str]

    @property
    def valide(self) -> bool:
        return not self.erreurs


# --- Raw data from a form post -----------------------------------------------------------------

def _entry_pattern(key: str) -> re.Pattern:
    return re.compile(rf"{re.escape(key)}-([0-9]{{1,4}})-([a-z][a-z0-9_]*)")


def extraire_groupe(key: str, sub_keys: list[str], formdata: Mapping) -> list[dict[str, list[str]]]:
    """Entries of a repeated group from `key-<index>-<sub_key>` names, in index order (gaps closed)."""
    pattern = _entry_pattern(key)
    entries: dict[int, dict[str, list[str]]] = {}
    for name in formdata:
        match = pattern.fullmatch(name) if isinstance(name, str) else None
        if match and match[2] in sub_keys:
            getlist = getattr(formdata, "getlist", None)
            values = getlist(name) if getlist else [formdata[name]]
            entries.setdefault(int(match[1]), {})[match[2]] = [v for v in values if isinstance(v, str)]
    return [entries[i] for i in sorted(entries)]


def brut_depuis_formdata(definition: dict, formdata: Mapping) -> Brut:
    """The raw values of every input field of `definition` found in a form post (unknown keys ignored)."""
    if not isinstance(formdata, MultiDict):
        formdata = MultiDict(formdata)
    brut = Brut()
    for champ in champs(definition):
        spec, key = champ.spec, champ.key
        if champ.type == "group":
            brut.groupes[key] = extraire_groupe(key, [s["key"] for s in spec.get("fields", [])], formdata)
        elif champ.type == "file":
            candidates = [v for v in formdata.getlist(key) if isinstance(v, FileStorage) and v.filename]
            brut.fichiers[key] = candidates[0] if candidates else None
            if formdata.get(f"{key}__supprimer"):
                brut.supprimer.add(key)
        elif TYPES[champ.type].saisie:
            brut.valeurs[key] = [v for v in formdata.getlist(key) if isinstance(v, str)]
    return brut


# --- Visibility --------------------------------------------------------------------------------

def visibles(definition: dict, valeur_condition) -> set[str]:
    """Keys of the fields shown, given `valeur_condition(key)` for each earlier field (in order)."""
    shown: set[str] = set()
    known: dict[str, Any] = {}

    def value_of(key: str) -> Any:
        return known.get(key)

    for section in sections(definition):
        section_shown = conditions.evaluate(section.get("visible_if"), value_of)
        for spec in section.get("fields", []):
            key = spec["key"]
            if section_shown and conditions.evaluate(spec.get("visible_if"), value_of):
                shown.add(key)
                known[key] = valeur_condition(key)
    return shown


def visibles_reponses(definition: dict, reponses: Mapping) -> set[str]:
    """Visibility computed from stored answers (for display and the initial state of a form)."""
    by_key = {c.key: c for c in champs(definition)}

    def valeur(key):
        champ = by_key.get(key)
        if champ is None or key not in reponses or not TYPES[champ.type].conditionable:
            return None
        return TYPES[champ.type].condition_value(reponses[key])

    return visibles(definition, valeur)


# --- Validation --------------------------------------------------------------------------------

def _max_length(spec: dict) -> int | None:
    type_ = TYPES[spec["type"]]
    return spec.get("max_length", type_.default_max_length)


def _check_rules(spec: dict, value: Any, mode: str) -> list[str]:
    """The per-field rules on a parsed, non-empty value (required is checked by the caller)."""
    type_ = TYPES[spec["type"]]
    errors: list[str] = []
    if "min_length" in type_.rules or "max_length" in type_.rules:
        length = type_.length(value)
        maximum = _max_length(spec)
        if spec.get("min_length") and length < spec["min_length"] and mode == DEPOT:
            errors.append(f"Au moins {spec['min_length']} caractères sont attendus (actuellement {length}).")
        if maximum is not None and length > maximum:
            errors.append(f"{maximum} caractères au plus (actuellement {length}).")
    if spec.get("pattern") and "pattern" in type_.rules and isinstance(value, str):
        if not re.fullmatch(spec["pattern"], value):
            errors.append(spec.get("pattern_message") or "Le format de la réponse n'est pas celui attendu.")
    if "min" in type_.rules or "max" in type_.rules:
        errors.extend(_check_bounds(spec, value))
    if spec["type"] == "multiple_choice":
        count = len(value)
        if spec.get("min_items") and count < spec["min_items"] and mode == DEPOT:
            errors.append(f"Choisissez au moins {spec['min_items']} réponse(s).")
        if spec.get("max_items") and count > spec["max_items"]:
            errors.append(f"Choisissez au plus {spec['max_items']} réponse(s).")
    return errors


def _check_bounds(spec: dict, value: Any) -> list[str]:
    type_name = spec["type"]
    low, high = spec.get("min"), spec.get("max")
    if type_name == "date":
        from datetime import date

        def show(d):
            return date.fromisoformat(d).strftime("%d/%m/%Y")

        if low is not None and value < low:
            return [f"La date doit être le {show(low)} ou après."]
        if high is not None and value > high:
            return [f"La date doit être le {show(high)} ou avant."]
        return []
    number = Decimal(str(value))
    if low is not None and number < Decimal(str(low)):
        return [f"La valeur doit être supérieure ou égale à {str(low).replace('.', ',')}."]
    if high is not None and number > Decimal(str(high)):
        return [f"La valeur doit être inférieure ou égale à {str(high).replace('.', ',')}."]
    return []


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def requis_message(spec: dict) -> str:
    if spec["type"] in ("yes_no", "choice"):
        return "Veuillez choisir une réponse : cette question est obligatoire."
    if spec["type"] == "multiple_choice":
        return "Veuillez choisir au moins une réponse : cette question est obligatoire."
    if spec["type"] in ("collectivite", "departement", "region"):
        return "Veuillez choisir une collectivité : cette question est obligatoire." if spec["type"] == "collectivite" \
            else "Veuillez faire un choix dans la liste : cette question est obligatoire."
    if spec["type"] == "file":
        return "Veuillez joindre un fichier : il est obligatoire."
    return "Ce champ est obligatoire."


def _valider_scalaire(spec: dict, raw: list[str], mode: str) -> tuple[Any, list[str]]:
    type_ = TYPES[spec["type"]]
    try:
        value = type_.parse(spec, raw)
    except Invalide as exc:
        return None, [exc.message]
    if _empty(value):
        if spec.get("required") and mode == DEPOT:
            return None, [requis_message(spec)]
        return None, []
    return value, _check_rules(spec, value, mode)


def _valider_groupe(spec: dict, entries: list[dict[str, list[str]]], mode: str,
                    erreurs: dict[str, list[str]]) -> Any:
    key = spec["key"]
    sub_specs = spec.get("fields", [])
    maximum = spec.get("max_items", DEFAULT_GROUP_MAX_ITEMS)
    items: list[dict] = []
    ok = True
    if len(entries) > MAX_ITEMS_CEILING:  # not even worth reading
        erreurs.setdefault(key, []).append(f"{maximum} élément(s) au plus.")
        return None
    for position, entry in enumerate(entries):
        if all(not "".join(v).strip() for v in entry.values()):
            continue  # an untouched blank row: ignored, not an error
        item: dict[str, Any] = {}
        for sub in sub_specs:
            value, errors = _valider_scalaire(sub, entry.get(sub["key"], []), mode)
            if errors:
                erreurs[f"{key}-{position}-{sub['key']}"] = errors
                ok = False
            elif not _empty(value):
                item[sub["key"]] = value
        items.append(item)
    count = len(items)
    minimum = spec.get("min_items") or (1 if spec.get("required") else 0)
    if mode == DEPOT and count < minimum:
        erreurs.setdefault(key, []).append(
            "Ajoutez au moins un élément : cette question est obligatoire." if minimum == 1
            else f"Ajoutez au moins {minimum} éléments.")
        ok = False
    if count > maximum:
        erreurs.setdefault(key, []).append(f"{maximum} élément(s) au plus.")
        ok = False
    return items if ok and items else None


def valider(definition: dict, brut: Brut, *, existant: Mapping | None = None, mode: str = DEPOT) -> Resultat:
    """Validate a post against a definition. Hidden fields are neither checked nor kept."""
    existant = existant or {}
    reponses: dict[str, Any] = {}
    erreurs: dict[str, list[str]] = {}
    nouveaux: list[tuple[str, FileStorage, dict]] = []
    # Visibility is evaluated field by field: a condition only reads earlier fields (the linter ensures it).
    known: dict[str, Any] = {}
    shown: set[str] = set()
    for section in sections(definition):
        section_shown = conditions.evaluate(section.get("visible_if"), known.get)
        for spec in section.get("fields", []):
            key, type_name = spec["key"], spec["type"]
            type_ = TYPES[type_name]
            if not (section_shown and conditions.evaluate(spec.get("visible_if"), known.get)):
                continue
            shown.add(key)
            if not type_.saisie:
                continue
            if type_name == "group":
                value = _valider_groupe(spec, brut.groupes.get(key, []), mode, erreurs)
            elif type_name == "file":
                value = _valider_fichier(spec, brut, existant.get(key), mode, erreurs, nouveaux)
            else:
                value, errors = _valider_scalaire(spec, brut.valeurs.get(key, []), mode)
                if errors:
                    erreurs[key] = errors
                    value = None
            if not _empty(value):
                reponses[key] = value
                if type_.conditionable:
                    known[key] = type_.condition_value(value)
    return Resultat(reponses=reponses, erreurs=erreurs, fichiers=nouveaux, visibles=shown)


def _valider_fichier(spec: dict, brut: Brut, previous: Any, mode: str, erreurs: dict, nouveaux: list) -> Any:
    key = spec["key"]
    upload = brut.fichiers.get(key)
    if upload is not None:
        try:
            meta = verifier_fichier(spec, upload)
        except Invalide as exc:
            erreurs[key] = [exc.message]
            return None
        nouveaux.append((key, upload, meta))
        return meta
    if previous and key not in brut.supprimer:
        return previous  # the file saved with the draft stays until replaced or removed
    if spec.get("required") and mode == DEPOT:
        erreurs[key] = [requis_message(spec)]
    return None


def revalider(definition: dict, reponses: Mapping) -> list[str]:
    """Problems of stored answers against their definition (empty list: the answers are valid)."""
    problems: list[str] = []
    by_key = {c.key: c for c in champs(definition)}
    shown = visibles_reponses(definition, reponses)
    for key, value in reponses.items():
        champ = by_key.get(key)
        if champ is None or not TYPES[champ.type].saisie:
            problems.append(f"{key} : clé inconnue de la définition")
            continue
        if key not in shown:
            problems.append(f"{key} : réponse à une question masquée")
            continue
        specs = [(champ.spec, value)]
        if champ.type == "group":
            if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
                problems.append(f"{key} : liste d'éléments attendue")
                continue
            subs = {s["key"]: s for s in champ.spec.get("fields", [])}
            specs = []
            for item in value:
                for sub_key, sub_value in item.items():
                    if sub_key not in subs:
                        problems.append(f"{key}.{sub_key} : clé inconnue")
                    else:
                        specs.append((subs[sub_key], sub_value))
        for spec, sub_value in specs:
            try:
                TYPES[spec["type"]].revalidate(spec, sub_value)
            except Invalide as exc:
                problems.append(f"{spec['key']} : {exc.message}")
                continue
            if spec["type"] not in ("file", "group"):
                problems.extend(f"{spec['key']} : {m}" for m in _check_rules(spec, sub_value, BROUILLON))
    return problems


# --- Display -----------------------------------------------------------------------------------

def texte_reponse(spec: dict, value: Any) -> str:
    type_ = TYPES[spec["type"]]
    if _empty(value):
        return ""
    if spec["type"] == "group":
        subs = spec.get("fields", [])
        lines = []
        for number, item in enumerate(value, start=1):
            parts = [f"{s.get('label', s['key'])} : {TYPES[s['type']].text(s, item.get(s['key']))}"
                     for s in subs if not _empty(item.get(s["key"]))]
            if len(subs) == 1 and parts:
                parts = [TYPES[subs[0]["type"]].text(subs[0], item.get(subs[0]["key"]))]
            lines.append(f"{number}. " + " ; ".join(parts))
        return "\n".join(lines)
    return type_.text(spec, value)


def elements_affichage(definition: dict, reponses: Mapping) -> list[dict]:
    """Questions and answers in form order, as they were asked in this definition (hidden ones left out)."""
    shown = visibles_reponses(definition, reponses)
    items = []
    for champ in champs(definition):
        spec = champ.spec
        if champ.key not in shown or not TYPES[champ.type].saisie:
            continue
        value = reponses.get(champ.key)
        item = {
            "section": champ.section.get("title", ""),
            "key": champ.key,
            "type": champ.type,
            "label": champ.label,
            "value": value,
            "value_text": texte_reponse(spec, value),
        }
        if champ.type == "rich_text" and value:
            item["html"] = TexteRiche.sanitise(value)
        items.append(item)
    return items
