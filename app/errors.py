"""Error pages and JSON errors, in French. Out of scope looks exactly like absent."""

from flask import Flask, jsonify, render_template, request

from app.security.scope import OutOfScope

MESSAGES = {
    400: "Requête invalide.",
    403: "Vous n'avez pas accès à cette ressource.",
    404: "Cette page n'existe pas ou ne fait pas partie de votre territoire.",
    405: "Méthode non autorisée.",
    409: "Cette action n'est pas possible dans l'état actuel du dossier.",
    413: "Le fichier envoyé est trop volumineux.",
    429: "Trop de tentatives. Merci de patienter quelques instants avant de réessayer.",
    500: "Une erreur inattendue s'est produite. L'équipe technique a été prévenue.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, "Erreur.")
    if _wants_json():
        return jsonify(message=message), status
    return render_template("erreur.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    for status in MESSAGES:
        app.register_error_handler(status, lambda e, s=status: error_response(s))

    @app.errorhandler(OutOfScope)
    def out_of_scope(error):
        return error_response(403, "Cette opération sort de votre territoire : elle a été refusée.")
