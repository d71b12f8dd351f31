"""Template globals and filters shared by every page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, url_for

PARIS = ZoneInfo("Europe/Paris")


def date_fr(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def valeur(value):
    """How a raw value shows in generated lists and details: French, never Python's None / True / False /
    [..]. A filter, not a macro: it runs for every cell of a 50-row list."""
    if value is None:
        return ""
    if value is True:
        return "Oui"
    if value is False:
        return "Non"
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, date):
        return date_fr(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return value


def date_jour(value) -> str:
    """A moment as its day in Paris (dd/mm/yyyy), for lists."""
    return date_fr(value.astimezone(PARIS).date() if isinstance(value, datetime) else value)


# Each entry: (menu name the user needs `menu_access` to, label, endpoint).
ACCUEIL_LIENS: list[tuple[str, str, str]] = [
    ("Structures", "Structures de mon territoire", "StructureView.list"),
    ("Conseillers", "Conseillers numériques de mon territoire", "ConseillerView.list"),
]


def accueil_liens():
    allowed = current_app.appbuilder.sm.get_user_menu_access([name for name, _, _ in ACCUEIL_LIENS])
    return [{"label": label, "url": url_for(endpoint)} for name, label, endpoint in ACCUEIL_LIENS if name in allowed]


def init_app(app: Flask) -> None:
    app.add_template_filter(date_fr, "date_fr")
    app.add_template_filter(valeur, "valeur")
    app.add_template_filter(date_jour, "date_jour")
    app.add_template_global(accueil_liens, "accueil_liens")
    app.add_template_global(app.appbuilder, "appbuilder")
