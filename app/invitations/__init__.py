"""Invitations: ANCT (or a workflow) invites a person; a single-use link lets it choose a password.

    from app.invitations import create_invitation

    create_invitation("prefet@isere.gouv.fr", roles.PREFET_DEPARTEMENT, departement_code="38",
                      invited_by=g.user)
    create_invitation(structure.contact_email, roles.STRUCTURE, structure_id=structure.id)
    db.session.commit()   # the invitation and its email ("Bienvenue sur votre tableau de pilotage")

`create_invitation(email, role, *, departement_code=None, region_code=None, structure_id=None,
invited_by=None) -> Invitation` checks the address, the role and its territory (préfet de
département: a département; préfet de région: a région; Structure: a structure; Hub: a région;
ANCT / Banque des Territoires: none), refuses an address that already has an account
(`InvitationError`, French message), replaces an unused invitation of the same address, and
queues the email through `app.mail.send_email`. It does not commit.

The link `/invitation/<token>` (valid INVITATION_VALIDITY, single use; only a SHA-256 of the token
is stored) asks for first name, last name and a password (12 characters or more), creates the FAB
user (`app.models.Utilisateur`, username = email) with the role and territory, marks the
invitation used in the same transaction and signs the user in.
"""

from app.invitations.models import Invitation
from app.invitations.service import (
    InvitationError,
    InvitationInvalide,
    accept_invitation,
    create_invitation,
    find_invitation,
    import_prefets_csv,
)

__all__ = [
    "Invitation", "InvitationError", "InvitationInvalide", "accept_invitation", "create_invitation",
    "find_invitation", "import_prefets_csv",
]
