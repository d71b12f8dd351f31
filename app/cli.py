"""Command-line entry points: `flask --app app <group> <command>`."""

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


def init_app(app: Flask) -> None:
    from app.demo import demo_cli

    app.cli.add_command(roles_cli)
    app.cli.add_command(demo_cli)
