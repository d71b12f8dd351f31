"""One renderer: a Flask-WTF form class built from a definition (CSRF included).

The fields keep what was typed (or the stored answer) for the templates; parsing and validation
are the engine's (moteur.py), the source of truth. Templates: templates/formulaires/.
"""

from __future__ import annotations

import json
from typing import Any

import nh3
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import FileStorage
from wtforms.fields import Field
from wtforms.utils import unset_value

from app.formulaires import conditions
from app.formulaires.definition import champs, sections
from app.formulaires.moteur import Brut, brut_depuis_formdata, extraire_groupe, visibles_reponses
from app.formulaires.types_champs import DEFAULT_GROUP_MAX_ITEMS, TYPES, TexteRiche, choice_label


class ChampDefinition(Field):
    """An input of the definition. `spec` is the field's definition."""

    def __init__(self, label=None, spec: dict | None = None, **kwargs):
        super().__init__(label, **kwargs)
        self.spec = spec or {}
        self.soumis = False

    @property
    def type_champ(self):
        return TYPES[self.spec["type"]]

    def process_data(self, value):
        self.data = value

    def process_formdata(self, valuelist):
        self.soumis = True
        self.raw_data = [v for v in valuelist if isinstance(v, str)]

    @property
    def valeur(self) -> str:
        """The text to show in a single-value input."""
        if self.soumis:
            return self.raw_data[0] if self.raw_data else ""
        if self.data is None:
            default = self.spec.get("default")
            return "" if default is None else str(default)
        value = self.type_champ.to_input(self.spec, self.data)
        return value if isinstance(value, str) else ""

    @property
    def valeurs(self) -> list[str]:
        """The checked values of a multiple choice."""
        if self.soumis:
            return list(self.raw_data)
        if self.data is None:
            default = self.spec.get("default")
            return list(default) if isinstance(default, list) else ([default] if default else [])
        value = self.type_champ.to_input(self.spec, self.data)
        return value if isinstance(value, list) else []


class ChampFichier(ChampDefinition):
    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.data = None if data is unset_value else data
        self.envoi = None
        self.supprimer = False
        if formdata is not None:
            self.soumis = True
            files = [v for v in formdata.getlist(self.name) if isinstance(v, FileStorage) and v.filename]
            self.envoi = files[0] if files else None
            self.supprimer = bool(formdata.get(f"{self.name}__supprimer"))

    @property
    def existant(self) -> dict | None:
        return self.data if isinstance(self.data, dict) else None


class ChampGroupe(ChampDefinition):
    """A repeated group: entries named `<key>-<index>-<sub_key>`."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.data = None if data is unset_value else data
        subs = [s["key"] for s in self.spec.get("fields", [])]
        if formdata is not None:
            self.soumis = True
            self.entrees = [{k: (v[0] if v else "") for k, v in e.items()}
                            for e in extraire_groupe(self.name, subs, formdata)]
        else:
            self.entrees = []
            for item in self.data or []:
                self.entrees.append({
                    s["key"]: _as_text(TYPES[s["type"]].to_input(s, item.get(s["key"]))) if item.get(s["key"])
                    is not None else "" for s in self.spec.get("fields", [])
                })
        self.completer()

    @property
    def max_items(self) -> int:
        return self.spec.get("max_items", DEFAULT_GROUP_MAX_ITEMS)

    def completer(self) -> None:
        minimum = max(1, self.spec.get("min_items") or 0)
        while len(self.entrees) < minimum:
            self.entrees.append({})

    def ajouter(self) -> None:
        if len(self.entrees) < self.max_items:
            self.entrees.append({})

    def retirer(self, position: int) -> None:
        if 0 <= position < len(self.entrees):
            del self.entrees[position]
        self.completer()


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class DefinitionForm(FlaskForm):
    """Base of every generated form class; `definition` is set on the generated subclass."""

    definition: dict = {}

    def __init__(self, formdata=None, reponses: dict | None = None, **kwargs):
        self._formdata = formdata
        self._reponses = reponses or {}
        super().__init__(formdata=formdata, data=dict(self._reponses), **kwargs)
        self._erreurs: dict[str, list[str]] = {}

    def brut(self) -> Brut:
        return brut_depuis_formdata(self.definition, self._formdata or {})

    def appliquer_erreurs(self, erreurs: dict[str, list[str]]) -> None:
        self._erreurs = erreurs
        for key, messages in erreurs.items():
            if key in self._fields:
                self._fields[key].errors = list(messages)

    def visibles(self) -> set[str]:
        """Fields shown on first display: from the stored answers, or from what was just posted."""
        if self._formdata is None:
            merged = dict(self._reponses)
            for champ in champs(self.definition):
                if champ.key not in merged and champ.spec.get("default") is not None and champ.type in (
                        "yes_no", "choice", "multiple_choice"):
                    merged[champ.key] = _default_answer(champ.spec)
            return visibles_reponses(self.definition, merged)
        from app.formulaires.moteur import BROUILLON, valider

        return valider(self.definition, self.brut(), existant=self._reponses, mode=BROUILLON).visibles


def _default_answer(spec: dict) -> Any:
    default = spec["default"]
    if spec["type"] == "yes_no":
        return default == "oui"
    return default


def form_class(definition: dict) -> type[DefinitionForm]:
    attrs: dict[str, Any] = {"definition": definition}
    for champ in champs(definition):
        spec = champ.spec
        type_ = TYPES[champ.type]
        if not type_.saisie:
            continue
        cls = ChampGroupe if champ.type == "group" else ChampFichier if champ.type == "file" else ChampDefinition
        attrs[champ.key] = cls(label=champ.label, spec=spec)
    return type(f"Formulaire_{definition.get('id', 'x').replace('-', '_')}", (DefinitionForm,), attrs)


def build_form(definition: dict, *, formdata=None, reponses: dict | None = None) -> DefinitionForm:
    return form_class(definition)(formdata=formdata, reponses=reponses)


# --- Helpers for the templates --------------------------------------------------------------------

def html_sur(text: str | None) -> Markup:
    """Author-written HTML of a definition (descriptions, blocks), sanitised like rich text answers."""
    if not text:
        return Markup("")
    if "<" not in text:
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        return Markup("".join(f"<p>{Markup.escape(p)}</p>" for p in paragraphs))
    return Markup(TexteRiche.sanitise(text))


def html_reponse(html: str | None) -> Markup:
    return Markup(nh3.clean(html or "", tags=TexteRiche.TAGS, attributes={"a": {"href", "title"}},
                            url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow"))


def condition_json(condition: dict | None) -> str:
    return json.dumps(condition, ensure_ascii=False) if condition else ""


def condition_texte(definition: dict, condition: dict | None) -> str:
    specs = {c.key: c.spec for c in champs(definition)}

    def label_of(key):
        spec = specs.get(key, {})
        return spec.get("label", key)

    def text_of(key, value):
        spec = specs.get(key, {})
        if spec.get("type") == "yes_no":
            return {"oui": "Oui", "non": "Non"}.get(value, str(value))
        if spec.get("type") in ("choice", "multiple_choice"):
            return choice_label(spec, value)
        return str(value)

    return conditions.describe(condition, label_of, text_of)


def liste_sections(definition: dict) -> list[dict]:
    return sections(definition)


def sections_reponses(items: list[dict]) -> list[tuple[str, list[dict]]]:
    """answers_for_display() items grouped by section, in form order."""
    grouped: list[tuple[str, list[dict]]] = []
    for item in items:
        if not grouped or grouped[-1][0] != item["section"]:
            grouped.append((item["section"], []))
        grouped[-1][1].append(item)
    return grouped


def valeur_collectivite(valeur: str) -> str:
    """The label of a posted « type:code » collectivité (shown again after a post)."""
    from app.formulaires.types_champs import territory

    type_, _, code = (valeur or "").partition(":")
    found = territory(type_, code) if type_ and code else None
    return found["libelle"] if found else valeur


def libelle_collectivite(type_: str) -> str:
    return {"commune": "commune", "epci": "EPCI", "departement": "département", "region": "région"}.get(type_, type_)


def paires_choix(choices: list[dict]) -> list[tuple[str, str]]:
    return [(c.get("value"), c.get("label")) for c in choices or []]


def prefixe_point(extension: str) -> str:
    return "." + extension


MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre")


def date_limite(moment) -> str:
    """« 10 décembre 2023 à 23 h 59 » (Paris), the way the real form showed its deadline."""
    from app.formulaires.calendrier import PARIS

    if moment is None:
        return ""
    local = moment.astimezone(PARIS)
    return f"{local.day} {MOIS[local.month - 1]} {local.year} à {local.hour} h {local.minute:02d}"
