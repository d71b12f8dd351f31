"""Command-line entry points: `flask --app app <group> <command>`."""

import importlib

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from app.security import roles as policy

roles_cli = AppGroup("roles", help="Rôles et permissions.")


def sync_roles() -> int:
    """Create the roles of the policy (idempotent); their permissions live in app/security/roles.py."""
    sm = current_app.appbuilder.sm
    created = 0
    for name in (*policy.ALL_ROLES, policy.PUBLIC):
        if sm.find_role(name) is None:
            sm.add_role(name)
            created += 1
    db.session.commit()
    return created


@roles_cli.command("sync")
def roles_sync_command() -> None:
    """Crée les rôles manquants (idempotent)."""
    created = sync_roles()
    click.echo(f"{created} rôle(s) créé(s), {len(policy.ALL_ROLES) + 1 - created} déjà présent(s).")


# Command groups of the feature packages, as "module:attribute".
COMMAND_GROUPS = [
    "app.territoires.importer:territoires_cli",
    "app.formulaires.cli:formulaires_cli",
    "app.demo:demo_cli",
    "app.mail.cli:outbox_cli",
    "app.candidatures.cli:digest_cli",
    "app.gouvernances.cli:gouvernances_cli",
    "app.gouvernances.lieux:lieux_cli",
    "app.statistiques.importer:cra_cli",
]


def init_app(app: Flask) -> None:
    app.cli.add_command(roles_cli)
    for target in COMMAND_GROUPS:
        module, _, attribute = target.partition(":")
        app.cli.add_command(getattr(importlib.import_module(module), attribute))
