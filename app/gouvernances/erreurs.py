"""Domain errors of the gouvernances package, each with its HTTP meaning (views and API map them)."""


class ErreurGouvernance(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationErreur(ErreurGouvernance):
    """Input to correct: French messages per field (400)."""

    status = 400

    def __init__(self, erreurs: dict[str, list[str]], message: str = "Certaines informations sont à corriger."):
        super().__init__(message)
        self.erreurs = erreurs


class ActionNonAutorisee(ErreurGouvernance):
    """Wrong role, or a territory this user does not cover (403)."""

    status = 403


class Introuvable(ErreurGouvernance):
    """Absent, deleted, or out of the user's territory: indistinguishable (404)."""

    status = 404


class EtatInvalide(ErreurGouvernance):
    """The state of the object does not allow it (a sent form is frozen…) (409)."""

    status = 409


class EcheanceDepassee(EtatInvalide):
    """A campaign deadline has passed (409). Raised only by `calendrier.verifier_echeance`."""
