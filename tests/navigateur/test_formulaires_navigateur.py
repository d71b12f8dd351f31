"""The form engine in a real browser: formulaires.js mirrors conditional display, live collectivité
search, and the fill page passes axe (WCAG 2.1 A/AA), errors included."""

import pytest

from app.extensions import db
from app.formulaires import service
from app.formulaires.models import Soumission
from tests.formulaires_helpers import chemin, nouveau
from tests.navigateur.conftest import assert_accessible, screenshot


@pytest.fixture(autouse=True)
def sans_abonnes():
    saved = {k: list(v) for k, v in service._ON_SUBMIT.items()}
    service._ON_SUBMIT.clear()
    yield
    service._ON_SUBMIT.update(saved)


def visible(page, key: str) -> bool:
    return page.locator(f"#champ-{key}").is_visible()


def test_conditional_display_follows_the_answers(page):
    page.goto(chemin(nouveau("candidature-coordinateur")))
    assert not visible(page, "echelon_coordinateur") and not visible(page, "missions_coordinateur")
    assert not page.get_by_text("Question à remplir seulement si").first.is_visible()  # JS hides the hint
    page.locator("#champ-candidature_coordinateur").get_by_label("Oui").check(force=True)
    assert visible(page, "echelon_coordinateur") and not visible(page, "missions_coordinateur")
    page.get_by_label("Bassin de vie (commune, intercommunalité, groupement d'intercommunalités)").check(force=True)
    assert visible(page, "missions_coordinateur") and not visible(page, "missions_coordination_seule")
    assert page.get_by_label("accompagnera également des publics").is_visible()
    page.get_by_label("Départemental").check(force=True)
    assert not visible(page, "missions_coordinateur") and visible(page, "missions_coordination_seule")
    page.locator("#champ-candidature_coordinateur").get_by_label("Non").check(force=True)
    assert not visible(page, "echelon_coordinateur") and not visible(page, "missions_coordination_seule")
    screenshot(page, "formulaire-candidature-coordinateur")


def test_live_collectivite_search_and_submission(page):
    soumission = nouveau("gouvernance-pressentie")
    page.goto(chemin(soumission))
    page.select_option("#departement", "38")
    page.get_by_label("Départemental").check(force=True)
    page.fill("#porteur_collectivite__recherche", "isere")
    page.get_by_label("Isère (38) — département").check(force=True)  # appears from /territoires/recherche
    page.fill("#structures_recruteuses-0-siret", "223 800 012 00013")
    page.fill("#note_contexte", "Les EPCI se concertent.\n\nLe département anime.")
    page.get_by_role("button", name="Déposer le formulaire").click()
    page.wait_for_load_state()
    assert page.get_by_text("Formulaire déposé le").is_visible()
    db.session.expire_all()
    stored = db.session.get(Soumission, soumission.id)
    assert stored.statut == "soumise"
    assert stored.reponses["porteur_collectivite"]["code"] == "38"
    assert stored.reponses["note_contexte"] == "<p>Les EPCI se concertent.</p><p>Le département anime.</p>"


@pytest.mark.parametrize("form_id", ["motivation-coordinateur", "candidature-coordinateur", "gouvernance-pressentie"])
def test_fill_pages_are_accessible(page, form_id):
    page.goto(chemin(nouveau(form_id)))
    assert_accessible(page)
    page.get_by_role("button", name="Déposer le formulaire").click()  # everything missing: errors shown
    page.wait_for_load_state()
    assert page.locator("#resume-erreurs").is_visible()
    assert page.evaluate("document.activeElement.id") == "resume-erreurs"
    assert_accessible(page)
    screenshot(page, f"formulaire-{form_id}-erreurs")
