"""Reading a definition (YAML or JSON text) and walking its sections and fields."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from config import BASE_DIR

FORMS_DIR = BASE_DIR / "forms"
SCHEMA_PATH = FORMS_DIR / "schema.json"


class DefinitionIllisible(ValueError):
    """The text is not valid YAML/JSON or not a mapping."""


class _Loader(yaml.SafeLoader):
    """YAML 1.2-like scalars: dates stay strings, only true/false are booleans ("non", "no" are text)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (
        "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_text(texte: str) -> dict:
    """A definition from its text (YAML, of which JSON is a subset). Raises DefinitionIllisible."""
    try:
        data = yaml.load(texte, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1}, colonne {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionIllisible(f"Le texte n'est pas un YAML valide{where} : {problem}.") from exc
    if not isinstance(data, dict):
        raise DefinitionIllisible("La définition doit être un objet (des paires « clé: valeur »).")
    return data


def canonical(definition: dict) -> dict:
    """The definition without its version number: what decides whether two files differ."""
    return {k: v for k, v in definition.items() if k != "version"}


def empreinte(definition: dict) -> str:
    payload = json.dumps(canonical(definition), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def shipped_files(directory: Path | None = None) -> list[Path]:
    directory = directory or FORMS_DIR
    return sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def shipped_path(form_id: str, directory: Path | None = None) -> Path | None:
    directory = directory or FORMS_DIR
    for suffix in (".yaml", ".yml"):
        path = directory / f"{form_id}{suffix}"
        if path.is_file():
            return path
    return None


@dataclass(frozen=True)
class Champ:
    """A field in its context: its definition, its section and its position in the form."""

    spec: dict
    section: dict
    index: int  # order of the field among every top-level field of the form

    @property
    def key(self) -> str:
        return self.spec["key"]

    @property
    def type(self) -> str:
        return self.spec["type"]

    @property
    def label(self) -> str:
        return self.spec.get("label") or self.spec.get("title") or self.spec["key"]


def sections(definition: dict) -> list[dict]:
    value = definition.get("sections")
    return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []


def fields_of(section: dict) -> list[dict]:
    value = section.get("fields")
    return [f for f in value if isinstance(f, dict)] if isinstance(value, list) else []


def champs(definition: dict) -> Iterator[Champ]:
    """Every top-level field (blocks included), in form order."""
    index = 0
    for section in sections(definition):
        for spec in fields_of(section):
            yield Champ(spec=spec, section=section, index=index)
            index += 1


def champs_par_cle(definition: dict) -> dict[str, Champ]:
    return {c.spec.get("key"): c for c in champs(definition) if isinstance(c.spec.get("key"), str)}
