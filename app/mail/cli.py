"""`flask --app app outbox …`: deliver the outbox by hand or from cron when there is no broker."""

import click
from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="File d'envoi des courriels.")


@outbox_cli.command("deliver")
@click.option("--limit", default=1000, show_default=True, help="Nombre maximal de courriels traités.")
def deliver_command(limit: int) -> None:
    """Envoie les courriels en attente dont l'heure d'envoi est venue (sans risque de double envoi)."""
    from app.mail.outbox import deliver_pending

    report = deliver_pending(limit=limit)
    click.echo(str(report))
    if report.smtp_unreachable:
        raise SystemExit(1)  # visible to cron / supervision
