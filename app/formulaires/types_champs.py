"""Field types: how a raw submitted value becomes a stored answer, and how an answer is shown.

Stored answers are plain JSON: text types -> str, integer -> int, decimal -> str ("12.5"),
date -> "YYYY-MM-DD", yes_no -> bool, choice -> str, multiple_choice -> [str], siret -> 14 digits,
collectivite -> {"type", "code", "nom", "libelle"}, departement / region -> code, file ->
{"nom", "chemin", "taille", "type"}, group -> [{sub_key: answer}], rich_text -> sanitised HTML.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.fr import siret as stdnum_siret

from app.extensions import db


class Invalide(Exception):
    """A value refused, with the French message shown next to the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def clean_text(value: str, multiline: bool) -> str:
    value = _CONTROL.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        value = value.replace("\n", " ")
    return value.strip()


def single(raw: list[str]) -> str:
    values = [v for v in raw if isinstance(v, str)]
    if len(values) > 1:
        raise Invalide("Une seule réponse est attendue.")
    return values[0] if values else ""


def fr_number(value: Decimal | int) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text.replace(".", ",")


def choice_label(spec: dict, value: Any) -> str:
    for choice in spec.get("choices") or []:
        if choice.get("value") == value:
            return choice.get("label", str(value))
    return str(value)


TYPES_COLLECTIVITE = {"commune": "Commune", "epci": "EPCI", "departement": "Département", "region": "Région"}


class TypeChamp:
    name = ""
    saisie = True  # False: a non-input block
    multiline = False
    rules: frozenset[str] = frozenset()
    default_max_length: int | None = None
    conditionable = True  # may be read by a visibility condition
    in_group = True  # may be a sub-field of a repeated group
    input_type = "text"
    autocomplete: str | None = None

    def parse(self, spec: dict, raw: list[str]) -> Any:
        """The answer (None when empty) from the submitted strings, or Invalide."""
        text = clean_text(single(raw), self.multiline)
        return text or None

    def length(self, value: Any) -> int:
        return len(value)

    def to_input(self, spec: dict, value: Any) -> Any:
        """What to put back in the input to show a stored answer."""
        return "" if value is None else str(value)

    def text(self, spec: dict, value: Any) -> str:
        return "" if value is None else str(value)

    def condition_value(self, value: Any) -> Any:
        return value

    def revalidate(self, spec: dict, value: Any) -> Any:
        """Check a stored (JSON) answer again: used for prefill and to prove stored data is valid."""
        return self.parse(spec, [self.to_input(spec, value)])


class Texte(TypeChamp):
    name = "text"
    rules = frozenset({"required", "min_length", "max_length", "pattern"})
    default_max_length = 500


class ZoneTexte(Texte):
    name = "textarea"
    multiline = True
    default_max_length = 5000


class Entier(TypeChamp):
    name = "integer"
    rules = frozenset({"required", "min", "max"})
    input_type = "text"
    _re = re.compile(r"[+-]?\d{1,15}")

    def parse(self, spec, raw):
        text = _SPACES.sub("", clean_text(single(raw), False))
        if not text:
            return None
        if not self._re.fullmatch(text) or not text.lstrip("+-").isascii():
            raise Invalide("Nombre entier attendu (par exemple 12).")
        return int(text)

    def text(self, spec, value):
        return "" if value is None else str(value)

    def revalidate(self, spec, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalide("Nombre entier attendu.")
        return self.parse(spec, [str(value)])


class Decimal_(TypeChamp):
    name = "decimal"
    rules = frozenset({"required", "min", "max"})
    _re = re.compile(r"[+-]?\d{1,15}(?:\.\d{1,6})?")

    def parse(self, spec, raw):
        text = _SPACES.sub("", clean_text(single(raw), False)).replace(",", ".")
        if not text:
            return None
        if not text.isascii() or not self._re.fullmatch(text):
            raise Invalide("Nombre attendu, avec une virgule pour les décimales (par exemple 12,5).")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover (the pattern already excludes it)
            raise Invalide("Nombre attendu (par exemple 12,5).") from exc
        return format(number.normalize(), "f")

    def to_input(self, spec, value):
        return "" if value is None else fr_number(Decimal(value))

    def text(self, spec, value):
        return "" if value is None else fr_number(Decimal(value))

    def condition_value(self, value):
        return None if value is None else float(value)


class Date(TypeChamp):
    name = "date"
    rules = frozenset({"required", "min", "max"})
    input_type = "date"
    _iso = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
    _fr = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        iso, fr = self._iso.fullmatch(text), self._fr.fullmatch(text)
        try:
            if iso and text.isascii():
                value = date(int(iso[1]), int(iso[2]), int(iso[3]))
            elif fr and text.isascii():
                value = date(int(fr[3]), int(fr[2]), int(fr[1]))
            else:
                raise ValueError
        except ValueError as exc:
            raise Invalide("Date attendue au format JJ/MM/AAAA (par exemple 10/12/2023).") from exc
        if not 1900 <= value.year <= 2100:
            raise Invalide("Date attendue entre 1900 et 2100.")
        return value.isoformat()

    def text(self, spec, value):
        return "" if not value else date.fromisoformat(value).strftime("%d/%m/%Y")


class Email(TypeChamp):
    name = "email"
    rules = frozenset({"required", "max_length"})
    default_max_length = 254
    input_type = "email"
    autocomplete = "email"

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        if len(text) > 254:
            raise Invalide("Adresse électronique trop longue (254 caractères au plus).")
        try:
            return validate_email(text, check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError as exc:
            raise Invalide("Adresse électronique invalide (par exemple prenom.nom@exemple.fr).") from exc


class Telephone(TypeChamp):
    """A French number: 10 digits starting with 0, or +33 / 0033 / overseas prefixes (+262, +590…)."""

    name = "phone"
    rules = frozenset({"required"})
    default_max_length = 30
    input_type = "tel"
    autocomplete = "tel"
    _international = re.compile(r"(?:\+|00)(33|262|269|508|590|594|596)(\d{9})")
    _national = re.compile(r"0[1-9]\d{8}")

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        compact = re.sub(r"[\s\u00a0\u202f.\-()]", "", text.replace("(0)", ""))
        match = self._international.fullmatch(compact) if compact.isascii() else None
        if match:
            compact = "0" + match[2]
        if not compact.isascii() or not self._national.fullmatch(compact):
            raise Invalide("Numéro de téléphone invalide : 10 chiffres attendus, par exemple 06 12 34 56 78 "
                           "ou +33 6 12 34 56 78.")
        return compact

    def text(self, spec, value):
        return "" if not value else " ".join(value[i:i + 2] for i in range(0, len(value), 2))

    to_input = text


class OuiNon(TypeChamp):
    name = "yes_no"
    rules = frozenset({"required"})

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        if text not in ("oui", "non"):
            raise Invalide("Répondez par « Oui » ou « Non ».")
        return text == "oui"

    def to_input(self, spec, value):
        return "" if value is None else ("oui" if value else "non")

    def text(self, spec, value):
        return "" if value is None else ("Oui" if value else "Non")

    def condition_value(self, value):
        return None if value is None else ("oui" if value else "non")

    def revalidate(self, spec, value):
        if not isinstance(value, bool):
            raise Invalide("Oui ou non attendu.")
        return value


class Choix(TypeChamp):
    name = "choice"
    rules = frozenset({"required"})

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        if text not in {c.get("value") for c in spec.get("choices") or []}:
            raise Invalide("Cette réponse ne fait pas partie des choix proposés.")
        return text

    def text(self, spec, value):
        return "" if value is None else choice_label(spec, value)


class ChoixMultiple(TypeChamp):
    name = "multiple_choice"
    rules = frozenset({"required", "min_items", "max_items"})
    in_group = False

    def parse(self, spec, raw):
        allowed = [c.get("value") for c in spec.get("choices") or []]
        chosen = {clean_text(v, False) for v in raw if isinstance(v, str)} - {""}
        if chosen - set(allowed):
            raise Invalide("Une des réponses ne fait pas partie des choix proposés.")
        return [v for v in allowed if v in chosen] or None

    def length(self, value):
        return len(value)

    def to_input(self, spec, value):
        return list(value or [])

    def text(self, spec, value):
        return ", ".join(choice_label(spec, v) for v in value or [])

    def revalidate(self, spec, value):
        if not isinstance(value, list):
            raise Invalide("Liste attendue.")
        return self.parse(spec, value)


class Siret(TypeChamp):
    name = "siret"
    rules = frozenset({"required"})
    default_max_length = 30

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        compact = re.sub(r"[\s\u00a0\u202f.\-]", "", text)
        if not (compact.isascii() and compact.isdigit() and len(compact) == 14):
            raise Invalide("Le SIRET compte 14 chiffres (par exemple 223 800 012 00013).")
        try:
            stdnum_siret.validate(compact)
        except (InvalidChecksum, InvalidComponent) as exc:
            raise Invalide("Ce SIRET n'existe pas : sa clé de contrôle est incorrecte. "
                           "Vérifiez-le sur l'Annuaire des Entreprises.") from exc
        except Exception as exc:  # noqa: BLE001 (any other stdnum refusal)
            raise Invalide("Ce SIRET n'est pas valide.") from exc
        return compact

    def text(self, spec, value):
        return "" if not value else f"{value[:3]} {value[3:6]} {value[6:9]} {value[9:]}"


class TexteRiche(TypeChamp):
    """HTML from the respondent, kept only after nh3 sanitising (a short list of tags, safe links)."""

    name = "rich_text"
    multiline = True
    rules = frozenset({"required", "min_length", "max_length"})
    default_max_length = 20000
    in_group = False
    conditionable = False
    TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "h3", "h4", "blockquote"}
    _block = re.compile(r"<(p|br|ul|ol|li|h3|h4|blockquote)\b")

    @classmethod
    def sanitise(cls, html: str) -> str:
        return nh3.clean(html, tags=cls.TAGS, attributes={"a": {"href", "title"}},
                         url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow").strip()

    @staticmethod
    def plain(html: str) -> str:
        text = re.sub(r"<(br|/p|/li|/h3|/h4|/blockquote)\s*/?>", "\n", html)
        text = nh3.clean(text, tags=set())
        return re.sub(r"\n{3,}", "\n\n", _unescape(text)).strip()

    def parse(self, spec, raw):
        text = clean_text(single(raw), True)
        if not text:
            return None
        if len(text) > 100_000:
            raise Invalide("Texte trop long (100 000 caractères au plus, mise en forme comprise).")
        html = self.sanitise(text)
        if not self._block.search(html):
            # Text typed without paragraphs (inline markup at most, already sanitised): blank lines make
            # paragraphs, single line breaks are kept.
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", html) if p.strip()]
            html = "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)
        return html if self.plain(html) else None

    def length(self, value):
        return len(self.plain(value))

    def to_input(self, spec, value):
        """Back in the text area: plain paragraphs as typed (blank lines), richer markup as HTML."""
        if not value:
            return ""
        if "<" not in re.sub(r"</?p>|<br>", "", value):
            paragraphs = re.findall(r"<p>(.*?)</p>", value, re.S) or [value]
            return "\n\n".join(_unescape(p.replace("<br>", "\n")) for p in paragraphs)
        return value

    def text(self, spec, value):
        return "" if not value else self.plain(value)

    def revalidate(self, spec, value):
        if not isinstance(value, str) or self.sanitise(value) != value:
            raise Invalide("Texte non nettoyé.")
        return value


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


# --- Territories -------------------------------------------------------------------------------

def _territory_models():
    from app.models import Commune, Departement, Epci, Region

    return {"commune": Commune, "epci": Epci, "departement": Departement, "region": Region}


def territory(type_: str, code: str) -> dict | None:
    """{"type", "code", "nom", "libelle"} of a collectivité, or None when the code does not exist."""
    model = _territory_models().get(type_)
    if model is None or not code or len(code) > 12:
        return None
    row = db.session.get(model, code)
    if row is None:
        return None
    if type_ == "commune":
        libelle = row.libelle
    elif type_ == "epci":
        libelle = f"{row.nom} (EPCI)"
    elif type_ == "departement":
        libelle = f"{row.nom} ({row.code})"
    else:
        libelle = f"{row.nom} (région)"
    return {"type": type_, "code": row.code, "nom": row.nom, "libelle": libelle}


class Collectivite(TypeChamp):
    """A commune, EPCI, département or région chosen with « Rechercher la collectivité »."""

    name = "collectivite"
    rules = frozenset({"required"})
    in_group = False
    conditionable = False

    @staticmethod
    def types(spec: dict) -> list[str]:
        return list(spec.get("types") or TYPES_COLLECTIVITE)

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        type_, _, code = text.partition(":")
        if type_ not in self.types(spec):
            raise Invalide("Choisissez une collectivité parmi les résultats de la recherche.")
        found = territory(type_, code.strip().upper() if type_ in ("departement",) else code.strip())
        if found is None:
            raise Invalide("Collectivité introuvable : choisissez-la parmi les résultats de la recherche.")
        return found

    def to_input(self, spec, value):
        return "" if not value else f"{value['type']}:{value['code']}"

    def text(self, spec, value):
        return "" if not value else value.get("libelle") or value.get("nom", "")

    def revalidate(self, spec, value):
        if not isinstance(value, dict):
            raise Invalide("Collectivité attendue.")
        return self.parse(spec, [self.to_input(spec, value)])


class DepartementChamp(TypeChamp):
    name = "departement"
    rules = frozenset({"required"})

    def parse(self, spec, raw):
        text = clean_text(single(raw), False).upper()
        if not text:
            return None
        if territory("departement", text) is None:
            raise Invalide("Choisissez un département de la liste.")
        return text

    def text(self, spec, value):
        found = territory("departement", value) if value else None
        return "" if not value else (found["libelle"] if found else value)


class RegionChamp(TypeChamp):
    name = "region"
    rules = frozenset({"required"})

    def parse(self, spec, raw):
        text = clean_text(single(raw), False)
        if not text:
            return None
        if territory("region", text) is None:
            raise Invalide("Choisissez une région de la liste.")
        return text

    def text(self, spec, value):
        found = territory("region", value) if value else None
        return "" if not value else (found["nom"] if found else value)


class Fichier(TypeChamp):
    """A file upload: the engine handles it (type and size checks, storage in fichiers.py)."""

    name = "file"
    rules = frozenset({"required"})
    in_group = False
    conditionable = False

    def text(self, spec, value):
        if not value:
            return ""
        size = value.get("taille", 0)
        human = f"{size / 1024 / 1024:.1f} Mo".replace(".", ",") if size >= 1024 * 1024 else f"{max(1, size // 1024)} ko"
        return f"{value.get('nom', 'fichier')} ({human})"

    def revalidate(self, spec, value):
        if not isinstance(value, dict) or not {"nom", "chemin", "taille"} <= set(value):
            raise Invalide("Fichier attendu.")
        return value


class Groupe(TypeChamp):
    """A repeated group of sub-fields (e.g. a list of SIRETs): handled by the engine."""

    name = "group"
    rules = frozenset({"required", "min_items", "max_items"})
    in_group = False
    conditionable = False


class Bloc(TypeChamp):
    """An explanation or a heading: nothing to answer."""

    name = "block"
    saisie = False
    in_group = False
    conditionable = False


TYPES: dict[str, TypeChamp] = {
    t.name: t
    for t in (Texte(), ZoneTexte(), Entier(), Decimal_(), Date(), Email(), Telephone(), OuiNon(), Choix(),
              ChoixMultiple(), Siret(), Collectivite(), DepartementChamp(), RegionChamp(), Fichier(), Groupe(),
              TexteRiche(), Bloc())
}

# Absolute ceilings: a definition may lower them, never raise them.
MAX_LENGTH_CEILING = 100_000
MAX_ITEMS_CEILING = 200
DEFAULT_GROUP_MAX_ITEMS = 50
