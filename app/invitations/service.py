"""Invitation workflow: invite (one or from a CSV file), accept with a password. Views stay thin.

Nothing here commits except `accept_invitation` (its own transaction: the account and the used
mark are written together). `create_invitation` and `import_prefets_csv` add to the session;
the caller commits, and the invitation emails leave after that commit (app.mail outbox).
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from app.extensions import db
from app.invitations.models import Invitation
from app.mail import public_url, send_email
from app.models.base import utcnow
from app.models.structures import Structure
from app.models.territoires import Departement, Region
from app.models.utilisateurs import Utilisateur
from app.security import roles

MAX_CSV_LINES = 2000


class InvitationError(ValueError):
    """A request the workflow refuses; the message is French and shown to the user."""


class InvitationInvalide(Exception):
    """The link cannot be used: `reason` is "inconnue", "expiree" or "utilisee"."""

    def __init__(self, reason: str, invitation: Invitation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.invitation = invitation


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(value: str) -> str:
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvitationError(f"Adresse électronique invalide : « {(value or '').strip()} ».") from error


def account_exists(email: str) -> bool:
    email = email.lower()
    return db.session.scalar(
        select(func.count(Utilisateur.id)).where(
            or_(func.lower(Utilisateur.email) == email, func.lower(Utilisateur.username) == email)
        )
    ) > 0


def _check_territory(role: str, departement_code, region_code, structure_id) -> None:
    given = {"departement_code": departement_code, "region_code": region_code, "structure_id": structure_id}
    required = {
        roles.PREFET_DEPARTEMENT: "departement_code",
        roles.PREFET_REGION: "region_code",
        roles.STRUCTURE: "structure_id",
        roles.HUB: "region_code",
        roles.ANCT: None,
        roles.BANQUE_DES_TERRITOIRES: None,
    }
    if role not in required:
        raise InvitationError(f"Le profil « {role} » ne peut pas être attribué par invitation.")
    needed = required[role]
    extra = [name for name, value in given.items() if value is not None and name != needed]
    if extra:
        raise InvitationError(f"Le profil « {role} » ne porte pas ce type de territoire.")
    if needed is None:
        return
    value = given[needed]
    if value is None or value == "":
        raise InvitationError({
            "departement_code": "Choisissez le département du compte.",
            "region_code": "Choisissez la région du compte.",
            "structure_id": "Choisissez la structure du compte.",
        }[needed])
    model = {"departement_code": Departement, "region_code": Region, "structure_id": Structure}[needed]
    if db.session.get(model, value) is None:
        raise InvitationError({
            "departement_code": f"Département « {value} » inconnu.",
            "region_code": f"Région « {value} » inconnue.",
            "structure_id": f"Structure {value} inconnue.",
        }[needed])


def create_invitation(email: str, role: str, *, departement_code: str | None = None,
                      region_code: str | None = None, structure_id: int | None = None,
                      invited_by=None) -> Invitation:
    """Invite `email` to an account with `role` and its territory; queues the invitation email.

    Replaces any unused invitation for the same address (its link stops working). Adds to the
    current session without committing: the caller's commit writes the invitation and its email
    together. Raises `InvitationError` (French message) on a bad address, an unknown or missing
    territory, or an address that already has an account.
    """
    email = normalize_email(email)
    _check_territory(role, departement_code, region_code, structure_id)
    if account_exists(email):
        raise InvitationError(f"Un compte existe déjà pour l'adresse {email}.")
    _drop_unused_invitations([email])
    return _add_invitation(email, role, departement_code=departement_code, region_code=region_code,
                           structure_id=structure_id, invited_by=invited_by)


def _drop_unused_invitations(emails: list[str]) -> None:
    """Unused invitations of these addresses stop working (a new one replaces them)."""
    for start in range(0, len(emails), 500):
        db.session.execute(
            delete(Invitation).where(Invitation.email.in_(emails[start:start + 500]), Invitation.used_at.is_(None))
            .execution_options(synchronize_session="fetch")
        )


def _add_invitation(email: str, role: str, *, departement_code, region_code, structure_id,
                    invited_by) -> Invitation:
    """The invitation row and its email, for an address and territory already checked."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation = Invitation(
        email=email, role=role, departement_code=departement_code, region_code=region_code,
        structure_id=structure_id, token_hash=hash_token(token),
        expires_at=now + current_app.config["INVITATION_VALIDITY"], created_at=now,
        invited_by_id=getattr(invited_by, "id", invited_by),
    )
    db.session.add(invitation)
    db.session.flush()
    send_email(
        email, "invitation", key=f"invitation:{invitation.token_hash}",
        email=email, profil=role,
        territoire="" if invitation.territoire_label == "National" else invitation.territoire_label,
        lien=public_url("invitation.accepter", token=token), expires_at=invitation.expires_at,
    )
    return invitation


def find_invitation(token: str) -> Invitation:
    """The invitation of a link, if it can still be used; raises `InvitationInvalide` otherwise."""
    if not token or len(token) > 200:
        raise InvitationInvalide("inconnue")
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        raise InvitationInvalide("inconnue")
    if invitation.used_at is not None:
        raise InvitationInvalide("utilisee", invitation)
    if invitation.expires_at <= utcnow():
        raise InvitationInvalide("expiree", invitation)
    return invitation


def accept_invitation(token: str, *, first_name: str, last_name: str, password: str) -> Utilisateur:
    """Create the account of an invitation and mark it used, in one transaction (single use)."""
    invitation = find_invitation(token)
    if account_exists(invitation.email):
        raise InvitationError(f"Un compte existe déjà pour l'adresse {invitation.email} : connectez-vous.")
    sm = current_app.appbuilder.sm
    role = sm.find_role(invitation.role)
    if role is None:
        raise InvitationError("Le profil de cette invitation n'existe plus : contactez l'assistance.")
    now = utcnow()
    # The conditional UPDATE is the single-use guarantee: a second, concurrent acceptance finds 0 rows.
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvitationInvalide("utilisee")
    user = sm.add_user(username=invitation.email, first_name=first_name.strip(), last_name=last_name.strip(),
                       email=invitation.email, role=role, password=password, commit=False)
    if not user:  # add_user logged the cause and rolled back (the used mark too)
        raise InvitationError("Le compte n'a pas pu être créé. Réessayez ou contactez l'assistance.")
    user.departement_code = invitation.departement_code
    user.region_code = invitation.region_code
    user.structure_id = invitation.structure_id
    invitation.used_at = now
    invitation.user_id = user.id
    db.session.commit()
    return user


# --- CSV import of préfets -------------------------------------------------------------------

_HEADERS = {
    "email": {"email", "mail", "courriel", "adresseemail", "adressemail", "adresseelectronique",
              "courrielelectronique"},
    "type": {"departementregion", "departementouregion", "regiondepartement", "type", "typedeterritoire",
             "territoire", "niveau"},
    "code": {"code", "codeterritoire", "codedepartementregion", "codedepartementouregion", "codeinsee"},
}
_TYPES = {"departement": "departement", "dept": "departement", "dep": "departement",
          "region": "region", "reg": "region"}
HEADER_LABELS = {"email": "email", "type": "Département/Région", "code": "code"}


def _plain(value: str) -> str:
    text = unicodedata.normalize("NFKD", value or "")
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _key(value: str) -> str:
    return "".join(c for c in _plain(value) if c.isalnum())


def _territory_code(value: str) -> str:
    code = (value or "").strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code  # Excel drops leading zeros


@dataclass
class CsvLine:
    line: int
    email: str
    role: str
    departement_code: str | None = None
    region_code: str | None = None


@dataclass
class CsvCheck:
    lines: list[CsvLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows saves "CSV" in cp1252
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvitationError("Le fichier n'est pas un CSV lisible (encodage inconnu).")


def check_prefets_csv(data: bytes) -> CsvCheck:
    """Read and check every line; errors are French, one per problem, with the line number."""
    result = CsvCheck()
    try:
        text = _decode(data)
    except InvitationError as error:
        result.errors.append(str(error))
        return result
    if not text.strip():
        result.errors.append("Le fichier est vide.")
        return result
    first_line = text.splitlines()[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        result.errors.append(f"Le fichier n'est pas un CSV lisible : {error}.")
        return result
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        for canonical, aliases in _HEADERS.items():
            if _key(name) in aliases and canonical not in columns:
                columns[canonical] = index
    missing = [HEADER_LABELS[name] for name in _HEADERS if name not in columns]
    if missing:
        result.errors.append(
            "Colonne(s) manquante(s) : " + ", ".join(f"« {m} »" for m in missing)
            + ". La première ligne doit porter les colonnes « email », « Département/Région » et « code »."
        )
        return result

    departements = set(db.session.scalars(select(Departement.code)))
    regions = set(db.session.scalars(select(Region.code)))
    seen: dict[str, int] = {}
    try:
        rows = list(_rows(reader))
    except csv.Error as error:
        result.errors.append(f"Le fichier n'est pas un CSV lisible (ligne {reader.line_num}) : {error}.")
        return result
    if len(rows) > MAX_CSV_LINES:
        result.errors.append(f"Le fichier compte {len(rows)} lignes : {MAX_CSV_LINES} au plus par import.")
        return result
    for number, row in rows:
        def cell(name, row=row):
            index = columns[name]
            return row[index].strip() if index < len(row) else ""

        errors: list[str] = []
        raw_email, raw_type, code = cell("email"), cell("type"), _territory_code(cell("code"))
        email = None
        if not raw_email:
            errors.append("adresse électronique manquante")
        else:
            try:
                email = normalize_email(raw_email)
            except InvitationError:
                errors.append(f"adresse électronique invalide (« {raw_email} »)")
        kind = _TYPES.get(_key(raw_type))
        if kind is None:
            errors.append(f"la colonne « Département/Région » doit valoir « Département » ou « Région » "
                          f"(valeur lue : « {raw_type} »)" if raw_type else
                          "colonne « Département/Région » vide (« Département » ou « Région » attendu)")
        elif not code:
            errors.append("code du territoire manquant")
        elif kind == "departement" and code not in departements:
            errors.append(f"département « {code} » inconnu")
        elif kind == "region" and code not in regions:
            errors.append(f"région « {code} » inconnue")
        if email is not None:
            if email in seen:
                errors.append(f"l'adresse {email} figure déjà ligne {seen[email]}")
            else:
                seen[email] = number
        if errors:
            result.errors.append(f"Ligne {number} : " + " ; ".join(errors) + ".")
        else:
            result.lines.append(CsvLine(
                line=number, email=email,
                role=roles.PREFET_DEPARTEMENT if kind == "departement" else roles.PREFET_REGION,
                departement_code=code if kind == "departement" else None,
                region_code=code if kind == "region" else None,
            ))
    if result.lines:
        existing = _emails_with_account([line.email for line in result.lines])
        for line in result.lines:
            if line.email in existing:
                result.errors.append(f"Ligne {line.line} : un compte existe déjà pour {line.email}.")
        result.errors.sort(key=_line_number)
    if not rows:
        result.errors.append("Le fichier ne contient aucune invitation (seulement la ligne d'en-tête).")
    return result


def _rows(reader):
    for row in reader:
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def _line_number(message: str) -> int:
    if message.startswith("Ligne "):
        return int(message.split(" ", 2)[1])
    return 0


def _emails_with_account(emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        found.update(
            value.lower() for pair in db.session.execute(
                select(Utilisateur.email, Utilisateur.username).where(
                    or_(func.lower(Utilisateur.email).in_(chunk), func.lower(Utilisateur.username).in_(chunk))
                )
            ) for value in pair if value
        )
    return found & set(emails)


def import_prefets_csv(data: bytes, *, invited_by=None) -> tuple[list[Invitation], list[str]]:
    """All invitations of the file, or none: returns (invitations, []) or ([], errors). No commit."""
    check = check_prefets_csv(data)
    if check.errors:
        return [], check.errors
    # The check above read every address, territory and existing account in bulk: each line is only written.
    _drop_unused_invitations([line.email for line in check.lines])
    invitations = [_add_invitation(line.email, line.role, departement_code=line.departement_code,
                                   region_code=line.region_code, structure_id=None, invited_by=invited_by)
                   for line in check.lines]
    return invitations, []
