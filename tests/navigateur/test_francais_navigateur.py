"""In a real browser: the widgets FAB builds in JavaScript speak French, and no request leaves the server."""

import re
from urllib.parse import urlsplit

from app.security import roles
from tests.factories import PASSWORD, make_conseiller, make_contrat, make_structure, make_user
from tests.navigateur.conftest import browser_login, screenshot

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
        "décembre")


def _requests_elsewhere(page, live_server: str) -> list[str]:
    """Records every request the page makes to another host than the application."""
    own = urlsplit(live_server).netloc
    elsewhere: list[str] = []
    page.on("request", lambda request: urlsplit(request.url).netloc not in (own, "")
            and not request.url.startswith("data:") and elsewhere.append(request.url))
    return elsewhere


def test_search_filters_select2_and_confirmation_in_french(page, live_server):
    grenoble = make_structure("38", nom="Mairie de Grenoble")
    make_contrat(make_conseiller(grenoble), grenoble)
    make_structure("38", nom="Tiers-lieu à supprimer")
    make_user(roles.ANCT, "anct")
    elsewhere = _requests_elsewhere(page, live_server)
    browser_login(page, "anct", PASSWORD)

    page.goto("/structures/list/")
    page.get_by_text("Rechercher", exact=True).first.click()
    page.get_by_text("Ajouter un filtre").click()
    page.locator("#filter_form a.filter[name=nom]").click()
    operators = page.locator("#filter_form select.filter-op option").all_inner_texts()
    assert operators[:3] == ["Commence par", "Se termine par", "Contient"]
    screenshot(page, "filtre-francais")

    supprimer = page.locator("tr", has_text="Tiers-lieu à supprimer").locator("a.js-delete-row")
    supprimer.click()
    dialog = page.locator("#modal-confirm")
    dialog.wait_for(state="visible")
    assert "Voulez-vous vraiment supprimer cet élément ?" in dialog.inner_text()
    assert dialog.get_by_role("button", name="Annuler").is_visible()
    assert dialog.get_by_role("link", name="Confirmer").is_visible()
    dialog.get_by_role("button", name="Annuler").click()
    dialog.wait_for(state="hidden")
    supprimer.click()
    dialog.get_by_role("link", name="Confirmer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Tiers-lieu à supprimer").count() == 0
    assert page.get_by_text("Mairie de Grenoble").count() >= 1

    page.goto("/structures/add")
    page.locator("#departement + .select2").click()
    page.locator(".select2-container--open .select2-search__field").press_sequentially("zzz")
    assert page.locator(".select2-results__message").inner_text() == "Aucun résultat"
    page.keyboard.press("Escape")

    page.goto("/contrats/add")
    page.locator("#date_debut").click()
    title = page.locator(".datepicker-days .datepicker-switch").inner_text()
    assert any(mois in title for mois in MOIS), title
    assert page.locator(".datepicker-days th.dow").first.inner_text() == "L"  # weeks start on Monday
    screenshot(page, "calendrier-francais")

    assert elsewhere == []


def test_no_alert_in_english_when_no_row_is_selected(page):
    make_user(roles.ANCT, "anct")
    browser_login(page, "anct", PASSWORD)
    page.goto("/roles/list/")
    page.get_by_role("button", name=re.compile("Actions")).click()
    page.locator(".copyrole_menu_item").click()
    alert = page.locator("#modal-alert")
    alert.wait_for(state="visible")
    assert alert.locator(".modal-text").inner_text() == "Aucune ligne sélectionnée."
