"""What changes between two versions of a definition, in French, shown before publishing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.formulaires.definition import champs, sections

FORM_ATTRIBUTES = {
    "title": "Titre", "description": "Description", "estimated_minutes": "Temps de remplissage estimé",
    "opens_at": "Ouverture", "closes_at": "Date limite", "public": "Accès public",
    "respondent_email_field": "Champ e-mail du répondant", "submit_message": "Message après dépôt",
}
RULES = {
    "required": "obligatoire", "min_length": "longueur minimale", "max_length": "longueur maximale",
    "pattern": "motif", "pattern_message": "message du motif", "min": "minimum", "max": "maximum",
    "min_items": "nombre minimal d'éléments", "max_items": "nombre maximal d'éléments",
    "accept": "formats acceptés", "max_size_mb": "taille maximale (Mo)", "types": "collectivités proposées",
    "default": "valeur par défaut",
}
TEXTS = {"help": "aide", "placeholder": "exemple de saisie", "content": "texte du bloc", "title": "titre du bloc",
         "item_label": "libellé d'un élément", "add_label": "libellé du bouton d'ajout"}


@dataclass(frozen=True)
class Changement:
    nature: str  # ajout, suppression, libelle, type, regle, choix, condition, section, texte, formulaire
    cle: str
    texte: str


def _show(value: Any) -> str:
    if value is None:
        return "(aucun)"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def diff(old: dict, new: dict) -> list[Changement]:
    changes: list[Changement] = []
    for attribute, label in FORM_ATTRIBUTES.items():
        if old.get(attribute) != new.get(attribute):
            changes.append(Changement("formulaire", attribute,
                                      f"{label} : « {_show(old.get(attribute))} » → « {_show(new.get(attribute))} »"))
    old_titles = [s.get("title") for s in sections(old)]
    new_titles = [s.get("title") for s in sections(new)]
    for title in new_titles:
        if title not in old_titles:
            changes.append(Changement("section", title or "", f"Section ajoutée : « {title} »"))
    for title in old_titles:
        if title not in new_titles:
            changes.append(Changement("section", title or "", f"Section retirée : « {title} »"))

    before = {c.key: c for c in champs(old)}
    after = {c.key: c for c in champs(new)}
    for key, champ in after.items():
        if key not in before:
            changes.append(Changement("ajout", key, f"Champ ajouté « {key} » ({champ.type}) : « {champ.label} », "
                                                     f"section « {champ.section.get('title')} »"))
    for key, champ in before.items():
        if key not in after:
            changes.append(Changement("suppression", key, f"Champ retiré « {key} » : « {champ.label} » "
                                                            "(les réponses déjà données restent lisibles dans "
                                                            "leur version)"))
    for key, champ in after.items():
        if key in before:
            previous = before[key]
            if previous.section.get("title") != champ.section.get("title"):
                changes.append(Changement("section", key, f"Champ « {key} » déplacé de la section "
                                                          f"« {previous.section.get('title')} » vers "
                                                          f"« {champ.section.get('title')} »"))
            changes.extend(_field_diff(key, previous.spec, champ.spec))
    return changes


def _field_diff(key: str, old: dict, new: dict) -> list[Changement]:
    changes: list[Changement] = []
    if old.get("type") != new.get("type"):
        changes.append(Changement("type", key, f"Champ « {key} » : type « {old.get('type')} » → "
                                               f"« {new.get('type')} »"))
    if old.get("label") != new.get("label"):
        changes.append(Changement("libelle", key, f"Champ « {key} » : libellé « {_show(old.get('label'))} » → "
                                                  f"« {_show(new.get('label'))} »"))
    for rule, label in RULES.items():
        if old.get(rule) != new.get(rule):
            changes.append(Changement("regle", key, f"Champ « {key} » : {label} « {_show(old.get(rule))} » → "
                                                    f"« {_show(new.get(rule))} »"))
    for attribute, label in TEXTS.items():
        if old.get(attribute) != new.get(attribute):
            changes.append(Changement("texte", key, f"Champ « {key} » : {label} modifié(e)"))
    if old.get("visible_if") != new.get("visible_if"):
        changes.append(Changement("condition", key, f"Champ « {key} » : condition d'affichage "
                                                    f"« {_show(old.get('visible_if'))} » → "
                                                    f"« {_show(new.get('visible_if'))} »"))
    old_choices = {c.get("value"): c.get("label") for c in old.get("choices") or []}
    new_choices = {c.get("value"): c.get("label") for c in new.get("choices") or []}
    for value, label in new_choices.items():
        if value not in old_choices:
            changes.append(Changement("choix", key, f"Champ « {key} » : choix ajouté « {label} » ({value})"))
        elif old_choices[value] != label:
            changes.append(Changement("choix", key, f"Champ « {key} » : choix « {value} » renommé "
                                                    f"« {old_choices[value]} » → « {label} »"))
    for value, label in old_choices.items():
        if value not in new_choices:
            changes.append(Changement("choix", key, f"Champ « {key} » : choix retiré « {label} » ({value})"))
    old_subs = {s.get("key"): s for s in old.get("fields") or []}
    new_subs = {s.get("key"): s for s in new.get("fields") or []}
    for sub_key, spec in new_subs.items():
        if sub_key not in old_subs:
            changes.append(Changement("ajout", f"{key}.{sub_key}", f"Sous-champ ajouté « {key}.{sub_key} » : "
                                                                   f"« {spec.get('label')} »"))
        else:
            changes.extend(_field_diff(f"{key}.{sub_key}", old_subs[sub_key], spec))
    for sub_key, spec in old_subs.items():
        if sub_key not in new_subs:
            changes.append(Changement("suppression", f"{key}.{sub_key}", f"Sous-champ retiré « {key}.{sub_key} » : "
                                                                         f"« {spec.get('label')} »"))
    return changes
