"""The forms' public interface: versions, drafts and submissions, links, hooks, display.

Other packages use only this module (and the `formulaires/_reponses.html` macro):

    version = current_version("motivation-coordinateur")
    soumission = start_or_resume("motivation-coordinateur", objet_type="candidature", objet_id=12,
                                 prefill={"nom_structure": "Mairie de Grenoble"}, respondent_email="x@y.fr")
    url = fill_url(soumission)            # absolute, signed; email it
    register_on_submit("motivation-coordinateur", callback)   # callback(soumission), same transaction
    answers_for_display(soumission)       # [{section, label, value_text, ...}] as asked in its version

Functions that write flush but do not commit (the caller owns the transaction), except
`enregistrer` (a form post) and `publier` / `charger_fichiers`, which commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.formulaires import fichiers, jetons, moteur
from app.formulaires.calendrier import Fenetre, fenetre, maintenant
from app.formulaires.definition import champs_par_cle, empreinte, parse_text, shipped_files, shipped_path
from app.formulaires.linter import Probleme, lint
from app.formulaires.models import STATUT_BROUILLON, STATUT_SOUMISE, FormVersion, Soumission
from app.formulaires.types_champs import TYPES, Invalide

log = logging.getLogger(__name__)


class FormRejected(Exception):  # noqa: N818 (public name of the interface)
    """Raised by an on-submit callback to refuse a submission; `message` (French) is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FormulaireInconnu(LookupError):
    pass


class FormulaireFerme(Exception):  # noqa: N818
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DejaSoumise(Exception):  # noqa: N818
    message = "Ce formulaire a déjà été déposé : il ne peut plus être modifié."


class DefinitionRefusee(Exception):  # noqa: N818
    def __init__(self, problemes: list[Probleme]):
        super().__init__("; ".join(map(str, problemes)))
        self.problemes = problemes


# --- Versions --------------------------------------------------------------------------------------

def versions(form_id: str) -> list[FormVersion]:
    return list(db.session.scalars(
        select(FormVersion).where(FormVersion.form_id == form_id).order_by(FormVersion.version)))


def get_version(form_id: str, version: int) -> FormVersion | None:
    return db.session.scalar(
        select(FormVersion).where(FormVersion.form_id == form_id, FormVersion.version == version))


def _latest(form_id: str) -> FormVersion | None:
    return db.session.scalar(
        select(FormVersion).where(FormVersion.form_id == form_id).order_by(FormVersion.version.desc()).limit(1))


def current_version(form_id: str) -> FormVersion:
    """The latest published version. A shipped form never loaded yet is loaded from forms/ first."""
    found = _latest(form_id)
    if found is not None:
        return found
    path = shipped_path(form_id)
    if path is None:
        raise FormulaireInconnu(f"Formulaire inconnu : {form_id}")
    try:
        publier(path.read_text(encoding="utf-8"), par="chargement automatique (forms/)", commit=False,
                form_id=form_id)
    except DefinitionRefusee:
        if _latest(form_id) is None:  # not a concurrent load: the shipped file itself is refused
            raise
    found = _latest(form_id)
    assert found is not None
    return found


def form_ids() -> list[str]:
    return list(db.session.scalars(select(FormVersion.form_id).distinct().order_by(FormVersion.form_id)))


def publier(texte: str, *, par: str, user_id: int | None = None, form_id: str | None = None,
            commit: bool = True, base_version: int | None = None) -> FormVersion | None:
    """Publish a definition text as the next version of its form.

    Returns the new version, or None when the definition equals the current version (nothing
    published). Raises DefinitionRefusee with the linter's messages; nothing is published then.
    `base_version`: the version the author saw; a newer one published meanwhile refuses the publish.
    """
    definition = parse_text_or_refuse(texte)
    problemes = lint(definition)
    if form_id is not None and definition.get("id") != form_id:
        problemes.append(Probleme("id", f"l'identifiant « {definition.get('id')} » ne correspond pas au "
                                        f"formulaire « {form_id} » (un identifiant ne change jamais)"))
    if problemes:
        raise DefinitionRefusee(problemes)
    form_id = definition["id"]
    latest = _latest(form_id)
    if base_version is not None and (latest.version if latest else 0) != base_version:
        raise DefinitionRefusee([Probleme("", f"une version {latest.version if latest else 0} a été publiée "
                                              "entre-temps : relisez les changements avant de publier")])
    fingerprint = empreinte(definition)
    if latest is not None and latest.empreinte == fingerprint:
        return None
    number = (latest.version if latest else 0) + 1
    stored = {**definition, "version": number}
    row = FormVersion(form_id=form_id, version=number, definition=stored, source=texte, empreinte=fingerprint,
                      published_at=maintenant(), published_by=par[:200], published_by_user_id=user_id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as exc:  # another publication took this number at the same moment
        raise DefinitionRefusee([Probleme("", "une autre version vient d'être publiée : recommencez")]) from exc
    if commit:
        db.session.commit()
    return row


def parse_text_or_refuse(texte: str) -> dict:
    from app.formulaires.definition import DefinitionIllisible

    try:
        return parse_text(texte)
    except DefinitionIllisible as exc:
        raise DefinitionRefusee([Probleme("", str(exc))]) from exc


def charger_fichiers(directory: Path | None = None, par: str = "flask formulaires load") -> list[tuple[str, str]]:
    """Load every forms/*.yaml: (form_id or file, "version N publiée" / "inchangé" / error)."""
    report = []
    for path in shipped_files(directory):
        try:
            row = publier(path.read_text(encoding="utf-8"), par=par)
        except DefinitionRefusee as exc:
            db.session.rollback()
            report.append((path.name, "refusé : " + "; ".join(map(str, exc.problemes))))
            continue
        name = path.stem
        report.append((name, f"version {row.version} publiée" if row else "inchangé"))
    return report


# --- Calendar ----------------------------------------------------------------------------------------

def fenetre_de(form_id: str) -> Fenetre:
    """The opening window that applies to every submission of a form (its current version's dates)."""
    return fenetre(form_id, current_version(form_id).definition)


def register_calendar(form_id: str, provider) -> None:
    """Dates of a form from another package's calendar; see calendrier.register_provider."""
    from app.formulaires.calendrier import register_provider

    register_provider(form_id, provider)


def closing_datetime(form_id: str) -> datetime | None:
    """When the form closes (aware UTC, configuration override included), or None if it never does."""
    return fenetre_de(form_id).closes_at


# --- Submissions -------------------------------------------------------------------------------------

_ON_SUBMIT: dict[str, list[Callable[[Soumission], Any]]] = {}


def register_on_submit(form_id: str, callback: Callable[[Soumission], Any]) -> None:
    """`callback(soumission)` runs in the submitting transaction; it may raise FormRejected(message)."""
    callbacks = _ON_SUBMIT.setdefault(form_id, [])
    if callback not in callbacks:
        callbacks.append(callback)


def latest_for(form_id: str, objet_type: str, objet_id: int) -> Soumission | None:
    """The latest submission (draft or submitted) of a form for a business object."""
    return db.session.scalar(
        select(Soumission).where(Soumission.form_id == form_id, Soumission.objet_type == objet_type,
                                 Soumission.objet_id == objet_id)
        .order_by(Soumission.created_at.desc(), Soumission.id.desc()).limit(1))


def _open_draft(form_id: str, objet_type, objet_id, respondent_user_id) -> Soumission | None:
    query = select(Soumission).where(Soumission.form_id == form_id, Soumission.statut == STATUT_BROUILLON)
    if objet_id is not None:
        query = query.where(Soumission.objet_type == objet_type, Soumission.objet_id == objet_id)
    elif respondent_user_id is not None:
        query = query.where(Soumission.objet_id.is_(None), Soumission.respondent_user_id == respondent_user_id)
    else:
        return None
    return db.session.scalar(query.order_by(Soumission.id.desc()).limit(1))


def start_or_resume(form_id: str, *, objet_type: str | None = None, objet_id: int | None = None,
                    prefill: dict | None = None, respondent_email: str | None = None,
                    respondent_user_id: int | None = None) -> Soumission:
    """The open draft of this form for this business object (or signed-in user), or a new one.

    A new draft is pinned to the current version and pre-filled with `prefill` ({field key: value};
    values as stored answers or as typed text; an unknown key or an invalid value is skipped and
    logged). A resumed draft only receives prefill values for unanswered fields.
    Without objet nor user, a new draft is created each time. Flushes; the caller commits.
    """
    if (objet_type is None) != (objet_id is None):
        raise ValueError("objet_type et objet_id vont ensemble")
    draft = _open_draft(form_id, objet_type, objet_id, respondent_user_id)
    if draft is not None:
        if prefill:
            values = _prefill(draft.form_version.definition, prefill)
            merged = {**values, **(draft.reponses or {})}
            if merged != draft.reponses:
                draft.reponses = merged
        if respondent_email and not draft.respondent_email:
            draft.respondent_email = respondent_email
        db.session.flush()
        return draft
    version = current_version(form_id)
    soumission = Soumission(form_version=version, form_id=form_id, statut=STATUT_BROUILLON,
                            reponses=_prefill(version.definition, prefill or {}), respondent_email=respondent_email,
                            respondent_user_id=respondent_user_id, objet_type=objet_type, objet_id=objet_id)
    try:
        with db.session.begin_nested():
            db.session.add(soumission)
    except IntegrityError:  # the same draft was created concurrently: resume it
        existing = _open_draft(form_id, objet_type, objet_id, respondent_user_id)
        if existing is None:
            raise
        return existing
    return soumission


def _prefill(definition: dict, prefill: dict) -> dict:
    by_key = champs_par_cle(definition)
    values: dict[str, Any] = {}
    for key, value in prefill.items():
        champ = by_key.get(key)
        if champ is None or not TYPES[champ.type].saisie:
            # A newer version may have dropped a field a caller still prefills: not worth failing for.
            log.warning("préremplissage : « %s » n'est pas un champ de « %s » (ignoré)", key, definition.get("id"))
            continue
        if value is None or champ.type == "file":
            continue
        try:
            values[key] = _prefill_value(champ.spec, value)
        except Invalide as exc:
            log.warning("préremplissage de %s.%s ignoré : %s", definition.get("id"), key, exc.message)
    return {k: v for k, v in values.items() if v is not None}


def _prefill_value(spec: dict, value: Any) -> Any:
    type_ = TYPES[spec["type"]]
    if spec["type"] == "group":
        subs = {s["key"]: s for s in spec.get("fields", [])}
        if not isinstance(value, list):
            raise Invalide("liste attendue")
        items = []
        for item in value:
            if not isinstance(item, dict) or set(item) - set(subs):
                raise Invalide("éléments inconnus")
            items.append({k: _prefill_value(subs[k], v) for k, v in item.items() if v is not None})
        return items or None
    if isinstance(value, str):
        parsed = type_.parse(spec, [value])
    else:
        parsed = type_.revalidate(spec, value)
    if parsed is not None:
        errors = moteur._check_rules(spec, parsed, moteur.BROUILLON)
        if errors:
            raise Invalide(errors[0])
    return parsed


def fill_url(soumission: Soumission, expires_at: datetime | None = None) -> str:
    """Absolute link (PUBLIC_BASE_URL) to fill or read this submission, with a signed token.

    expires_at None: valid while the form is open (then read-only for a grace period, see jetons.py).
    """
    token = jetons.creer(soumission, expires_at)
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/formulaires/remplir/{token}"


def enregistrer(soumission: Soumission, brut: moteur.Brut, *, deposer: bool,
                now: datetime | None = None) -> moteur.Resultat:
    """Save a draft or submit, after server-side validation; commits.

    Returns the engine's result (with errors: nothing stored). Raises DejaSoumise, FormulaireFerme
    (outside the opening window), FormRejected (an on-submit callback refused; nothing stored).
    """
    now = now or maintenant()
    # Two tabs submitting at once: the row is locked (PostgreSQL; SQLite serialises writers) and reread.
    db.session.execute(select(Soumission.id).where(Soumission.id == soumission.id).with_for_update())
    db.session.refresh(soumission, ["statut", "reponses", "soumise_le", "respondent_email"])
    if soumission.statut == STATUT_SOUMISE:
        raise DejaSoumise()
    message = fenetre_de(soumission.form_id).message(now)
    if message:
        raise FormulaireFerme(message)
    definition = soumission.form_version.definition
    mode = moteur.DEPOT if deposer else moteur.BROUILLON
    resultat = moteur.valider(definition, brut, existant=soumission.reponses or {}, mode=mode)
    if not resultat.valide:
        return resultat
    previous_files = _file_answers(soumission.reponses or {})
    written: list[dict] = []
    try:
        for key, upload, meta in resultat.fichiers:
            stored = fichiers.enregistrer(soumission.form_id, upload, meta)
            resultat.reponses[key] = stored
            written.append(stored)
        soumission.reponses = resultat.reponses
        soumission.updated_at = now
        if deposer:
            soumission.statut = STATUT_SOUMISE
            soumission.soumise_le = now
            email_key = definition.get("respondent_email_field")
            if not soumission.respondent_email and email_key and resultat.reponses.get(email_key):
                soumission.respondent_email = resultat.reponses[email_key]
            db.session.flush()
            for callback in list(_ON_SUBMIT.get(soumission.form_id, [])):
                callback(soumission)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        fichiers.supprimer(written)
        raise
    kept = {a.get("chemin") for a in _file_answers(resultat.reponses)}
    fichiers.supprimer([a for a in previous_files if a.get("chemin") not in kept])
    return resultat


def _file_answers(reponses: dict) -> list[dict]:
    return [v for v in reponses.values() if isinstance(v, dict) and "chemin" in v]


def answers_for_display(soumission: Soumission) -> list[dict]:
    """Every shown question with its answer, as asked in the submission's own version.

    Items: {"section", "label", "value_text", "key", "type", "value"} (+ "html" for rich text).
    """
    return moteur.elements_affichage(soumission.form_version.definition, soumission.reponses or {})


def compter(form_id: str) -> dict[str, int]:
    rows = db.session.execute(
        select(Soumission.statut, func.count()).where(Soumission.form_id == form_id).group_by(Soumission.statut))
    counts = {STATUT_BROUILLON: 0, STATUT_SOUMISE: 0}
    counts.update({statut: n for statut, n in rows})
    return counts
