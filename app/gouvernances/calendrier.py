"""The campaign calendar: milestones are data (table `gouvernance_jalon`) that ANCT edits.

Every deadline of the gouvernances package is enforced here and only here:

    verifier_echeance("gouvernances-pressenties", maintenant)   # raises EcheanceDepassee (409)

A milestone's `echeance` is the last instant included: "jusqu'au 15/10/2023 inclus" is stored as
15/10/2023 23:59:59.999999 Europe/Paris. A milestone without date has no deadline. A milestone
missing from the table (fresh database) takes its official date from `JALONS` below; editing it
creates its row. Tests travel in time by passing `maintenant` or by editing the milestone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.extensions import db
from app.gouvernances.erreurs import EcheanceDepassee, ValidationErreur
from app.gouvernances.models import Jalon
from app.models.base import utcnow

PARIS = ZoneInfo("Europe/Paris")

GOUVERNANCES_PRESSENTIES = "gouvernances-pressenties"
PARTICIPATION = "participation"
PERIMETRE_DEFINITIF = "perimetre-definitif"
FEUILLES_DE_ROUTE = "feuilles-de-route"
AAC_MOTIVATION = "aac-motivation"


@dataclass(frozen=True)
class JalonOfficiel:
    cle: str
    libelle: str
    description: str
    jour: date | None
    heure: time | None = None  # None: the whole day is included


# The official calendar (circulaire du 28 juillet 2023, webinar of 5 October 2023).
JALONS: tuple[JalonOfficiel, ...] = (
    JalonOfficiel(GOUVERNANCES_PRESSENTIES, "Remontée des gouvernances pressenties",
                  "Les préfectures indiquent les gouvernances territoriales pressenties ; elles peuvent les "
                  "modifier ou les supprimer jusqu'à cette date incluse.", date(2023, 10, 15)),
    JalonOfficiel(AAC_MOTIVATION, "Clôture du formulaire de motivation (AAC coordinateur)",
                  "Dernier jour pour déposer le formulaire de motivation d'une candidature à un poste de "
                  "conseiller numérique coordinateur (jusqu'à 23 h 59, heure de Paris).", date(2023, 12, 10)),
    JalonOfficiel(PARTICIPATION, "Formulaire « Participer à l'élaboration des feuilles de route »",
                  "Les collectivités et les structures peuvent déposer ou recommencer leur formulaire de "
                  "participation jusqu'à cette date incluse.", date(2023, 12, 31)),
    JalonOfficiel(PERIMETRE_DEFINITIF, "Périmètre définitif et structures impliquées",
                  "Retour définitif du périmètre territorial de la ou des feuilles de route et des structures "
                  "impliquées dans leur mise en œuvre et dans la gouvernance.", date(2023, 12, 31)),
    JalonOfficiel(FEUILLES_DE_ROUTE, "Feuilles de route approuvées",
                  "Transmission de la ou des feuilles de route finalisées et approuvées par toutes les parties "
                  "de la gouvernance territoriale.", date(2024, 6, 30)),
)
_OFFICIELS = {j.cle: j for j in JALONS}


def fin_de_journee(jour: date, heure: time | None = None) -> datetime:
    """The last instant included by "jusqu'au <jour> [<heure>] inclus", Paris time, as aware UTC."""
    if heure is None:
        local = datetime.combine(jour, time(23, 59, 59, 999999), PARIS)
    else:
        local = datetime.combine(jour, heure.replace(second=59, microsecond=999999), PARIS)
    return local.astimezone(UTC)


def _officielle(cle: str) -> datetime | None:
    jalon = _OFFICIELS[cle]
    return fin_de_journee(jalon.jour, jalon.heure) if jalon.jour else None


def jalon(cle: str) -> Jalon:
    """The milestone row (created from the official calendar if missing; flushed, not committed)."""
    if cle not in _OFFICIELS:
        raise KeyError(f"jalon inconnu : {cle}")
    row = db.session.get(Jalon, cle)
    if row is None:
        officiel = _OFFICIELS[cle]
        row = Jalon(cle=cle, libelle=officiel.libelle, description=officiel.description, echeance=_officielle(cle),
                    ordre=[j.cle for j in JALONS].index(cle))
        db.session.add(row)
        db.session.flush()
    return row


def jalons() -> list[Jalon]:
    """Every milestone in calendar order (missing rows created, flushed)."""
    existing = {j.cle: j for j in db.session.scalars(select(Jalon))}
    rows = [existing.get(officiel.cle) or jalon(officiel.cle) for officiel in JALONS]
    return sorted(rows, key=lambda j: (j.echeance is None, j.echeance or datetime.max.replace(tzinfo=UTC), j.ordre))


def echeance(cle: str) -> datetime | None:
    """The deadline of a milestone (aware UTC, last instant included), or None. Reads, never writes."""
    if cle not in _OFFICIELS:
        raise KeyError(f"jalon inconnu : {cle}")
    row = db.session.get(Jalon, cle)
    return row.echeance if row is not None else _officielle(cle)


def echeance_depassee(cle: str, maintenant: datetime | None = None) -> bool:
    limite = echeance(cle)
    return limite is not None and (maintenant or utcnow()) > limite


def format_echeance(moment: datetime | None) -> str:
    """'15/10/2023' for a whole day, '10/12/2023 à 23:59' otherwise (Paris time)."""
    if moment is None:
        return ""
    local = moment.astimezone(PARIS)
    if (local.hour, local.minute, local.second) == (23, 59, 59) and local.microsecond == 999999:
        return local.strftime("%d/%m/%Y")
    return f"{local:%d/%m/%Y} à {local:%H:%M}"


def libelle_modifiable(cle: str) -> str:
    """'Proposition modifiable jusqu'au 15/10/2023' (empty without deadline)."""
    limite = echeance(cle)
    return f"Proposition modifiable jusqu'au {format_echeance(limite)}" if limite else ""


def verifier_echeance(cle: str, maintenant: datetime | None = None) -> None:
    """THE deadline check: raises EcheanceDepassee (French message, 409) once the milestone has passed."""
    if echeance_depassee(cle, maintenant):
        row = db.session.get(Jalon, cle)
        libelle = row.libelle if row is not None else _OFFICIELS[cle].libelle
        raise EcheanceDepassee(
            f"La date limite est dépassée : « {libelle} » était possible jusqu'au "
            f"{format_echeance(echeance(cle))} inclus. Plus aucune modification n'est acceptée ; "
            "les informations déjà transmises restent consultables.")


def modifier_jalon(cle: str, jour: date | None, heure: time | None, auteur, *, libelle: str | None = None) -> Jalon:
    """ANCT edits a milestone: a day (whole day included) or a day and time (that minute included),
    or no date at all (no deadline). Flushes; the caller commits."""
    from app.security import roles

    if auteur is None or roles.ANCT not in {r.name for r in auteur.roles}:
        from app.gouvernances.erreurs import ActionNonAutorisee

        raise ActionNonAutorisee("Seule l'ANCT modifie le calendrier de la campagne.")
    if heure is not None and jour is None:
        raise ValidationErreur({"jour": ["Indiquez le jour de l'échéance."]})
    row = jalon(cle)
    if libelle is not None:
        libelle = libelle.strip()
        if not libelle or len(libelle) > 200:
            raise ValidationErreur({"libelle": ["Le libellé est obligatoire (200 caractères au plus)."]})
        row.libelle = libelle
    row.echeance = fin_de_journee(jour, heure) if jour else None
    row.modifie_le = utcnow()
    row.modifie_par = f"{auteur.first_name} {auteur.last_name}".strip() or auteur.username
    db.session.flush()
    return row


def definir_echeance(cle: str, moment: datetime | None) -> Jalon:
    """Set a milestone to an exact instant (CLI, demo data, tests). Flushes; the caller commits."""
    row = jalon(cle)
    row.echeance = moment
    row.modifie_le = utcnow()
    row.modifie_par = row.modifie_par or "plateforme"
    db.session.flush()
    return row


def decaler_pour_demo(jours: int = 30) -> None:
    """Demo data: the 2023 calendar has passed; put its deadlines ahead of today, in order."""
    aujourd_hui = datetime.now(PARIS).date()
    decalages = {GOUVERNANCES_PRESSENTIES: jours, AAC_MOTIVATION: jours + 30, PARTICIPATION: jours + 60,
                 PERIMETRE_DEFINITIF: jours + 60, FEUILLES_DE_ROUTE: jours + 240}
    for cle, delta in decalages.items():
        row = jalon(cle)
        row.echeance = fin_de_journee(aujourd_hui + timedelta(days=delta))
        row.modifie_le = utcnow()
        row.modifie_par = "données de démonstration"
    db.session.flush()
