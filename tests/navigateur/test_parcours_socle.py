"""Key journeys of the foundation, in a real browser."""

from app.security import roles
from tests.factories import PASSWORD, make_structure, make_user
from tests.navigateur.conftest import assert_accessible, browser_login, screenshot


def test_prefet_sees_its_structures_and_not_another_departement(page):
    isere = make_structure("38", nom="Commune de Voiron")
    savoie = make_structure("74", nom="Commune de Cluses")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")

    page.goto("/login/")
    screenshot(page, "connexion")
    browser_login(page, "prefet-38", PASSWORD)
    page.goto("/structures/list/")
    assert page.get_by_text("Commune de Voiron").count() >= 1
    assert page.get_by_text("Commune de Cluses").count() == 0
    screenshot(page, "structures-prefet-38")
    assert_accessible(page, "liste des structures")

    page.goto(f"/structures/show/{isere.id}")
    assert page.get_by_text("Commune de Voiron").count() >= 1
    assert_accessible(page, "détail d'une structure")
    page.goto("/conseillers/list/")
    assert_accessible(page, "liste des conseillers")
    response = page.goto(f"/structures/show/{savoie.id}")  # editing the URL by hand
    assert response.status == 404
    assert page.get_by_text("Commune de Cluses").count() == 0


def test_login_page_is_accessible(page):
    page.goto("/login/")
    assert_accessible(page, "connexion")
