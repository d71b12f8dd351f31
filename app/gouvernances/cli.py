"""`flask --app app gouvernances …`: the préfets' daily digest, the campaign calendar."""

from datetime import datetime

import click
from flask.cli import AppGroup

from app.extensions import db

gouvernances_cli = AppGroup("gouvernances", help="Gouvernances France Numérique Ensemble.")


@gouvernances_cli.command("digest")
def digest_command() -> None:
    """Envoie aux préfets le récapitulatif quotidien des nouveaux formulaires de participation (idempotent)."""
    from app.gouvernances.participation import envoyer_digest_prefets

    nombre = envoyer_digest_prefets()
    click.echo(f"{nombre} récapitulatif(s) préfet mis en file d'envoi.")


@gouvernances_cli.command("calendrier")
@click.option("--jalon", "cle", help="Clé du jalon à modifier (voir la liste sans option).")
@click.option("--echeance", help="Nouvelle échéance, heure de Paris : AAAA-MM-JJ (journée incluse) ou "
                                  "AAAA-MM-JJTHH:MM ; « aucune » pour retirer l'échéance.")
def calendrier_command(cle: str | None, echeance: str | None) -> None:
    """Affiche le calendrier de la campagne, ou modifie l'échéance d'un jalon."""
    from app.gouvernances import calendrier

    if cle:
        if echeance is None:
            raise click.UsageError("--echeance est obligatoire avec --jalon.")
        try:
            if echeance == "aucune":
                moment = None
            elif "T" in echeance:
                local = datetime.fromisoformat(echeance)
                moment = calendrier.fin_de_journee(local.date(), local.time())
            else:
                moment = calendrier.fin_de_journee(datetime.fromisoformat(echeance).date())
            calendrier.definir_echeance(cle, moment)
        except (KeyError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    for jalon in calendrier.jalons():
        click.echo(f"{jalon.cle:<26} {calendrier.format_echeance(jalon.echeance) or 'sans échéance':<20} {jalon.libelle}")
    db.session.commit()
