"""`flask --app app formulaires load|lint`."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.formulaires.definition import FORMS_DIR, shipped_files
from app.formulaires.linter import lint_texte

formulaires_cli = AppGroup("formulaires", help="Formulaires déclaratifs (forms/*.yaml).")


@formulaires_cli.command("load")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Dossier des définitions (par défaut : forms/).")
def load_command(directory: Path | None) -> None:
    """Charge les définitions livrées comme nouvelles versions (idempotent : un fichier inchangé ne crée rien)."""
    from app.formulaires.service import charger_fichiers

    report = charger_fichiers(directory)
    failed = False
    for name, outcome in report:
        click.echo(f"{name} : {outcome}")
        failed = failed or outcome.startswith("refusé")
    if failed:
        sys.exit(1)


@formulaires_cli.command("lint")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def lint_command(files: tuple[Path, ...]) -> None:
    """Vérifie des définitions (par défaut : toutes celles de forms/) ; code de sortie 1 en cas d'erreur."""
    paths = list(files) or shipped_files(FORMS_DIR)
    errors = 0
    for path in paths:
        _, problems = lint_texte(path.read_text(encoding="utf-8"))
        for problem in problems:
            click.echo(f"{path} : {problem}", err=True)
        errors += len(problems)
        if not problems:
            click.echo(f"{path} : OK")
    if errors:
        click.echo(f"{errors} erreur(s).", err=True)
        sys.exit(1)
