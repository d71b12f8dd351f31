"""Domain errors of the coordinator workflow, each with its HTTP meaning (views and API map them)."""


class ErreurMetier(Exception):
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationErreur(ErreurMetier):
    """Input to correct: one French message per field (400)."""

    status = 400

    def __init__(self, erreurs: dict[str, str], message: str = "Certaines informations sont à corriger."):
        super().__init__(message)
        self.erreurs = erreurs


class TransitionInterdite(ErreurMetier):
    """The state of the request (or of the post, of the contract) does not allow it (409)."""

    status = 409


class ActionNonAutorisee(ErreurMetier):
    """Wrong role, or a territory this user does not cover (403)."""

    status = 403
