"""The linter: a definition is refused, with precise French messages, before it can be published.

It applies forms/schema.json, then what a schema cannot say: unique keys, known types, rules that
fit the type, conditions reading only earlier fields (hence no cycle), defaults among the choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from jsonschema import Draft202012Validator

from app.formulaires import conditions
from app.formulaires.calendrier import DateInvalide, parse_paris
from app.formulaires.definition import DefinitionIllisible, fields_of, parse_text, schema, sections
from app.formulaires.fichiers import FORMATS
from app.formulaires.types_champs import MAX_ITEMS_CEILING, MAX_LENGTH_CEILING, TYPES, Invalide


@dataclass(frozen=True)
class Probleme:
    chemin: str
    message: str

    def __str__(self) -> str:
        return f"{self.chemin} : {self.message}" if self.chemin else self.message


COMMON = {"key", "type", "label", "help", "required", "visible_if"}
TYPE_PROPERTIES = {
    "text": {"default", "placeholder", "min_length", "max_length", "pattern", "pattern_message"},
    "textarea": {"default", "placeholder", "min_length", "max_length", "pattern", "pattern_message", "rows"},
    "integer": {"default", "placeholder", "min", "max"},
    "decimal": {"default", "placeholder", "min", "max"},
    "date": {"default", "min", "max"},
    "email": {"default", "placeholder", "max_length"},
    "phone": {"default", "placeholder"},
    "yes_no": {"default"},
    "choice": {"default", "choices"},
    "multiple_choice": {"default", "choices", "min_items", "max_items"},
    "siret": {"default", "placeholder"},
    "collectivite": {"types"},
    "departement": {"default"},
    "region": {"default"},
    "file": {"accept", "max_size_mb"},
    "group": {"fields", "min_items", "max_items", "item_label", "add_label"},
    "rich_text": {"min_length", "max_length", "rows"},
    "block": {"title", "content"},
}
BLOCK_ALLOWED = {"key", "type", "title", "content", "visible_if", "label", "help"}
TYPE_NAMES = ", ".join(TYPES)


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


@lru_cache(maxsize=1)
def reserved_keys() -> frozenset[str]:
    from app.formulaires.rendu import DefinitionForm

    return frozenset(n for n in dir(DefinitionForm) if not n.startswith("_")) | {"csrf_token", "action"}


# --- Paths --------------------------------------------------------------------------------------

def _locate(definition: dict, path: list) -> str:
    """A readable location: « section « Titre » › champ « cle » › propriété »."""
    parts: list[str] = []
    node = definition
    i = 0
    while i < len(path):
        step = path[i]
        if step == "sections" and i + 1 < len(path) and isinstance(node, dict):
            section = _safe_index(node.get("sections"), path[i + 1])
            title = section.get("title") if isinstance(section, dict) else None
            parts.append(f"section « {title} »" if title else f"section n° {path[i + 1] + 1}")
            node, i = section, i + 2
        elif step == "fields" and i + 1 < len(path) and isinstance(node, dict):
            spec = _safe_index(node.get("fields"), path[i + 1])
            key = spec.get("key") if isinstance(spec, dict) else None
            parts.append(f"champ « {key} »" if isinstance(key, str) else f"champ n° {path[i + 1] + 1}")
            node, i = spec, i + 2
        else:
            parts.append(f"[{step + 1}]" if isinstance(step, int) else str(step))
            node = node.get(step) if isinstance(node, dict) else _safe_index(node, step)
            i += 1
    return " › ".join(parts)


def _safe_index(seq, index):
    return seq[index] if isinstance(seq, list) and isinstance(index, int) and 0 <= index < len(seq) else None


_JSON_TYPES = {"string": "un texte", "integer": "un nombre entier", "number": "un nombre", "boolean": "vrai ou faux",
               "array": "une liste", "object": "un objet (des paires « clé: valeur »)"}


def _schema_message(error) -> str | None:
    v, value, instance = error.validator, error.validator_value, error.instance
    if v == "required":
        missing = [p for p in value if isinstance(instance, dict) and p not in instance]
        return f"propriété obligatoire manquante : « {missing[0] if missing else value} »"
    if v == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in known) if isinstance(instance, dict) else []
        if error.schema.get("maxProperties") == 1 and extra:  # a condition
            return (f"opérateur de condition inconnu « {extra[0]} » (opérateurs possibles : "
                    f"{', '.join(conditions.OPERATORS)})")
        return f"propriété inconnue : « {', '.join(extra)} »"
    if v == "type":
        expected = value if isinstance(value, list) else [value]
        return "valeur incorrecte : " + " ou ".join(_JSON_TYPES.get(t, t) for t in expected) + " attendu"
    if v == "enum":
        return f"valeur « {instance} » non autorisée (valeurs possibles : {', '.join(map(str, value))})"
    if v == "minItems":
        return f"au moins {value} élément(s) attendu(s)"
    if v == "minLength":
        return "texte vide"
    if v == "maxLength":
        return f"{value} caractères au plus"
    if v == "pattern":
        if error.schema is _validator().schema["properties"]["id"]:
            return f"identifiant « {instance} » invalide : minuscules, chiffres et tirets (ex. motivation-coordinateur)"
        if "T" in value:
            return f"« {instance} » : date et heure attendues au format AAAA-MM-JJTHH:MM (heure de Paris)"
        if "_" in value and "[a-z]" in value:
            return f"clé « {instance} » invalide : minuscules, chiffres et « _ », en commençant par une lettre"
        return f"« {instance} » ne respecte pas le format attendu ({value})"
    if v in ("minimum", "exclusiveMinimum"):
        return f"valeur trop petite (minimum {value})"
    if v == "maximum":
        return f"valeur trop grande (maximum {value})"
    if v in ("minProperties", "maxProperties"):
        return "une condition contient exactement un opérateur (equals, not_equals, in, not_in, and, or, not)"
    return f"valeur invalide ({v})"


# --- Lint ---------------------------------------------------------------------------------------

def lint_texte(texte: str) -> tuple[dict | None, list[Probleme]]:
    try:
        definition = parse_text(texte)
    except DefinitionIllisible as exc:
        return None, [Probleme("", str(exc))]
    return definition, lint(definition)


def lint(definition: dict) -> list[Probleme]:
    problems: list[Probleme] = []
    for error in sorted(_validator().iter_errors(definition), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        if path and path[-1] == "type" and error.validator == "enum":
            continue  # reported below, with the list of types
        if error.validator == "required" and error.schema.get("required") == ["label"] \
                and isinstance(error.instance, dict) and error.instance.get("type") not in TYPES:
            continue
        message = _schema_message(error)
        if message:
            problems.append(Probleme(_locate(definition, path), message))
    problems.extend(_semantique(definition))
    # Same message reported twice (schema and semantic check): keep one.
    seen, unique = set(), []
    for p in problems:
        if (p.chemin, p.message) not in seen:
            seen.add((p.chemin, p.message))
            unique.append(p)
    return unique


def _semantique(definition: dict) -> list[Probleme]:
    problems: list[Probleme] = []

    def add(where: str, message: str) -> None:
        problems.append(Probleme(where, message))

    _dates(definition, add)
    ordered: list[tuple[str, dict, str]] = []  # (key, spec, location) of top-level fields, in order
    positions: dict[str, int] = {}
    section_keys: set[str] = set()
    group_subkeys: dict[str, str] = {}
    for s_index, section in enumerate(sections(definition)):
        s_where = _locate(definition, ["sections", s_index])
        s_key = section.get("key")
        if isinstance(s_key, str):
            if s_key in section_keys:
                add(s_where, f"clé de section « {s_key} » en double")
            section_keys.add(s_key)
        for f_index, spec in enumerate(fields_of(section)):
            where = _locate(definition, ["sections", s_index, "fields", f_index])
            key = spec.get("key")
            if not isinstance(key, str):
                continue
            if key in positions:
                add(where, f"clé « {key} » en double : chaque champ du formulaire a une clé unique")
                continue
            if key in reserved_keys() or key.endswith(("__recherche", "__supprimer")):
                add(where, f"clé « {key} » réservée par le moteur : choisissez-en une autre")
            positions[key] = len(ordered)
            ordered.append((key, spec, where))
            _champ(spec, where, add, top_level=True)
            if spec.get("type") == "group":
                for sub in spec.get("fields") or []:
                    if isinstance(sub, dict) and isinstance(sub.get("key"), str):
                        group_subkeys.setdefault(sub["key"], key)

    specs = {key: spec for key, spec, _ in ordered}
    graph: dict[str, set[str]] = {key: set() for key in specs}
    for s_index, section in enumerate(sections(definition)):
        fields = [f for f in fields_of(section) if isinstance(f.get("key"), str) and f["key"] in positions]
        first = positions[fields[0]["key"]] if fields else len(ordered)
        s_condition = section.get("visible_if")
        if s_condition is not None:
            _condition(s_condition, _locate(definition, ["sections", s_index, "visible_if"]), first, None,
                       specs, positions, group_subkeys, add)
            for f in fields:
                graph[f["key"]].update(r for r in conditions.references(s_condition) if r in specs)
        for f in fields:
            if f.get("visible_if") is not None:
                where = _locate(definition, ["sections", s_index, "fields", section["fields"].index(f), "visible_if"])
                _condition(f["visible_if"], where, positions[f["key"]], f["key"], specs, positions, group_subkeys, add)
                graph[f["key"]].update(r for r in conditions.references(f["visible_if"]) if r in specs)
    for cycle in _cycles(graph):
        add(f"champ « {cycle[0]} »", "cycle de conditions : " + " → ".join(cycle)
            + " (un champ ne peut dépendre, même indirectement, de lui-même)")

    if definition.get("id") in ("publier", "soumission", "admin"):
        add("id", f"identifiant « {definition.get('id')} » réservé par les adresses de l'administration")

    email_key = definition.get("respondent_email_field")
    if email_key is not None and (email_key not in specs or specs[email_key].get("type") != "email"):
        add("respondent_email_field", f"« {email_key} » n'est pas la clé d'un champ de type email du formulaire")
    return problems


def _dates(definition: dict, add) -> None:
    parsed = {}
    for name in ("opens_at", "closes_at"):
        value = definition.get(name)
        if isinstance(value, str):
            try:
                parsed[name] = parse_paris(value, fin=name == "closes_at")
            except DateInvalide as exc:
                add(name, str(exc))
    if len(parsed) == 2 and parsed["opens_at"] >= parsed["closes_at"]:
        add("closes_at", "la date limite doit être postérieure à la date d'ouverture")


def _champ(spec: dict, where: str, add, *, top_level: bool) -> None:
    type_name = spec.get("type")
    if not isinstance(type_name, str) or type_name not in TYPES:
        add(where, f"type inconnu « {type_name} » (types possibles : {TYPE_NAMES})")
        return
    type_ = TYPES[type_name]
    allowed = BLOCK_ALLOWED if type_name == "block" else COMMON | TYPE_PROPERTIES[type_name]
    for prop in sorted(set(spec) - allowed):
        add(where, f"la propriété « {prop} » ne s'applique pas au type « {type_name} »")
    if not top_level:
        if not type_.in_group:
            add(where, f"le type « {type_name} » n'est pas possible dans un groupe répété")
        if "visible_if" in spec:
            add(where, "un sous-champ de groupe répété ne peut pas avoir de condition d'affichage "
                       "(mettez la condition sur le groupe)")
    _bornes(spec, type_name, where, add)
    _choix(spec, type_name, where, add)
    if spec.get("pattern") is not None:
        try:
            re.compile(spec["pattern"])
        except (re.error, TypeError) as exc:
            add(where, f"motif (pattern) invalide : {exc}")
    if type_name == "group":
        subkeys: set[str] = set()
        for s_index, sub in enumerate(spec.get("fields") or []):
            if not isinstance(sub, dict):
                continue
            sub_where = f"{where} › sous-champ « {sub.get('key', s_index + 1)} »"
            if sub.get("key") in subkeys:
                add(sub_where, f"clé « {sub.get('key')} » en double dans le groupe")
            subkeys.add(sub.get("key"))
            _champ(sub, sub_where, add, top_level=False)
    if type_name == "file":
        for ext in spec.get("accept") or []:
            if ext not in FORMATS:
                add(where, f"format de fichier inconnu « {ext} » (formats possibles : {', '.join(FORMATS)})")
        size = spec.get("max_size_mb")
        if isinstance(size, int | float) and size > 20:
            add(where, "taille maximale trop grande : 20 Mo au plus (limite d'une requête)")


def _bornes(spec: dict, type_name: str, where: str, add) -> None:
    def pair(low_name, high_name, label):
        low, high = spec.get(low_name), spec.get(high_name)
        if low is not None and high is not None and _comparable(low, high) and low > high:
            add(where, f"{label} : « {low_name} » ({low}) est supérieur à « {high_name} » ({high})")

    pair("min_length", "max_length", "longueur")
    pair("min_items", "max_items", "nombre d'éléments")
    max_length = spec.get("max_length")
    if isinstance(max_length, int) and max_length > MAX_LENGTH_CEILING:
        add(where, f"« max_length » trop grand : {MAX_LENGTH_CEILING} au plus")
    max_items = spec.get("max_items")
    if isinstance(max_items, int) and max_items > MAX_ITEMS_CEILING:
        add(where, f"« max_items » trop grand : {MAX_ITEMS_CEILING} au plus")
    if type_name == "date":
        for name in ("min", "max"):
            value = spec.get(name)
            if value is not None:
                try:
                    date.fromisoformat(value)
                except (TypeError, ValueError):
                    add(where, f"« {name} » : date attendue au format AAAA-MM-JJ, pas « {value} »")
                    return
        pair("min", "max", "dates")
    elif type_name in ("integer", "decimal"):
        for name in ("min", "max"):
            value = spec.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                add(where, f"« {name} » : nombre attendu, pas « {value} »")
                return
            if type_name == "integer" and isinstance(value, float) and not value.is_integer():
                add(where, f"« {name} » : nombre entier attendu pour le type integer, pas « {value} »")
        pair("min", "max", "valeurs")


def _comparable(a, b) -> bool:
    return (isinstance(a, int | float) and isinstance(b, int | float)) or (isinstance(a, str) and isinstance(b, str))


def _choix(spec: dict, type_name: str, where: str, add) -> None:
    default = spec.get("default")
    if type_name in ("choice", "multiple_choice"):
        values = [c.get("value") for c in spec.get("choices") or [] if isinstance(c, dict)]
        for value in {v for v in values if values.count(v) > 1}:
            add(where, f"choix « {value} » en double")
        if default is not None:
            defaults = default if isinstance(default, list) else [default]
            if type_name == "choice" and isinstance(default, list):
                add(where, "valeur par défaut : une seule valeur attendue pour un choix unique")
            for d in defaults:
                if d not in values:
                    add(where, f"valeur par défaut « {d} » absente des choix ({', '.join(map(str, values))})")
    elif type_name == "yes_no" and default is not None and default not in ("oui", "non"):
        add(where, f"valeur par défaut « {default} » absente des choix (oui, non)")
    elif default is not None and "default" in TYPE_PROPERTIES.get(type_name, ()):
        if isinstance(default, list):
            add(where, "valeur par défaut : une seule valeur attendue")
        elif type_name not in ("departement", "region"):  # those are checked against the database
            try:
                TYPES[type_name].parse(spec, [str(default)])
            except Invalide as exc:
                add(where, f"valeur par défaut « {default} » invalide : {exc.message}")


def _condition(condition, where: str, position: int, owner: str | None, specs: dict, positions: dict,
               group_subkeys: dict, add) -> None:
    """References of a condition placed at `position` (a field's index, or a section's first field)."""
    for operator, operand in conditions.leaves(condition):
        key = operand.get("field")
        if not isinstance(key, str):
            continue
        if key not in specs:
            if key in group_subkeys:
                add(where, f"la condition porte sur « {key} », sous-champ du groupe « {group_subkeys[key]} » : "
                           "une condition ne peut lire qu'un champ hors groupe")
            else:
                add(where, f"la condition porte sur un champ inconnu « {key} »")
            continue
        if key == owner:
            continue  # reported as a cycle
        if positions[key] >= position:
            add(where, f"la condition porte sur « {key} », placé après ce champ : une condition ne peut lire "
                       "que des champs qui le précèdent")
        target = specs[key]
        type_name = target.get("type")
        if type_name in TYPES and not TYPES[type_name].conditionable:
            add(where, f"la condition porte sur « {key} », de type « {type_name} », qui ne peut pas servir "
                       "de condition")
            continue
        expected = operand.get("values") if operator in ("in", "not_in") else [operand.get("value")]
        if not isinstance(expected, list):
            continue
        if type_name in ("choice", "multiple_choice"):
            values = [c.get("value") for c in target.get("choices") or [] if isinstance(c, dict)]
        elif type_name == "yes_no":
            values = ["oui", "non"]
        else:
            continue
        for value in expected:
            if value not in values:
                add(where, f"la valeur « {value} » n'est pas un des choix de « {key} » "
                           f"({', '.join(map(str, values))})")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each elementary cycle found by a depth-first search, as [a, b, …, a]."""
    found: list[list[str]] = []
    seen_cycles: set[frozenset] = set()
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                signature = frozenset(cycle)
                if signature not in seen_cycles:
                    seen_cycles.add(signature)
                    found.append(cycle)
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    return found
