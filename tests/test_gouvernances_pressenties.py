"""Gouvernances pressenties: form engine definition, cards, edit/delete until the deadline, printable page,
national list, REST API (400 / 403 / 404 / 409)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.formulaires.models import Soumission
from app.gouvernances import calendrier, pressenties
from app.gouvernances.erreurs import ActionNonAutorisee, EcheanceDepassee, ValidationErreur
from app.gouvernances.models import GouvernancePressentie
from app.models.base import utcnow
from app.models.journal import ExportLog
from app.security import roles
from tests.conftest import api_token, csrf_token, login
from tests.factories import make_user
from tests.gouvernances_fixtures import SIRET_A, SIRET_B, SIRET_CD38, fermer, ouvrir, pressentie_json

FERME = calendrier.GOUVERNANCES_PRESSENTIES


@pytest.fixture
def prefet38():
    ouvrir(FERME)
    return make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")


def _remonter(user, **changes) -> GouvernancePressentie:
    return pressenties.remonter("38", user, pressenties.brut_depuis_json(pressentie_json(**changes)))


# --- rules -------------------------------------------------------------------------------------------

def test_answers_are_a_submission_of_the_form_engine_pinned_to_its_version(prefet38):
    gp = _remonter(prefet38)
    assert (gp.perimetre, gp.porteur_type, gp.porteur_code) == ("departemental", "departement", "38")
    assert gp.porteur_nom == "Conseil départemental — Isère (38)"
    assert gp.sirets_recruteurs == [SIRET_CD38, SIRET_A]
    soumission = db.session.get(Soumission, gp.soumission_id)
    assert soumission.form_id == "gouvernance-pressentie" and soumission.statut == "soumise"
    assert (soumission.objet_type, soumission.objet_id) == ("gouvernance_pressentie", gp.id)
    assert soumission.form_version.version >= 1
    assert soumission.reponses["departement"] == "38"
    assert gp.cree_par_nom == "Prénom prefet-38"


def test_engine_validation_messages_come_back_per_field(prefet38):
    with pytest.raises(ValidationErreur) as exc:
        _remonter(prefet38, perimetre="cosmique", sirets_recruteurs=["22380001200012"], note_contexte="")
    erreurs = pressenties.erreurs_api(exc.value.erreurs)
    assert "perimetre" in erreurs and "note_contexte" in erreurs
    assert "clé de contrôle" in erreurs["sirets_recruteurs.0"][0]
    with pytest.raises(ValidationErreur) as exc:
        _remonter(prefet38, sirets_recruteurs=[])
    assert "sirets_recruteurs" in pressenties.erreurs_api(exc.value.erreurs)
    assert db.session.scalar(select(func.count()).select_from(GouvernancePressentie)) == 0
    assert db.session.scalar(select(func.count()).select_from(Soumission)) == 0


def test_other_actor_identified_by_siret_and_the_note_is_sanitised(prefet38):
    gp = _remonter(prefet38, perimetre="autre", porteur=None, porteur_nom="Préfecture de l'Isère",
                   porteur_siret=SIRET_B, note_contexte='<p onclick="x()">Note<script>alert(1)</script></p>'
                                                       '<a href="javascript:alert(1)">lien</a>')
    assert gp.porteur_type is None and gp.porteur_siret == SIRET_B
    assert gp.porteur_label == "Préfecture de l'Isère (SIRET 73282932000074)"
    assert "script" not in gp.note_contexte and "onclick" not in gp.note_contexte
    assert "javascript" not in gp.note_contexte and "Note" in gp.note_contexte


def test_several_per_departement_edit_and_soft_delete(prefet38):
    premiere = _remonter(prefet38)
    seconde = _remonter(prefet38, perimetre="epci", porteur="epci:200040715")
    anct = make_user(roles.ANCT, "anct")
    modifiee = pressenties.modifier(seconde, anct, pressenties.brut_depuis_json(pressentie_json(
        perimetre="epci", porteur="epci:200040715", sirets_recruteurs=[SIRET_B])))
    assert modifiee.sirets_recruteurs == [SIRET_B] and modifiee.modifie_par_nom == "Prénom anct"
    assert db.session.scalar(select(func.count()).select_from(Soumission)) == 3  # history kept
    pressenties.supprimer(premiere, prefet38)
    assert premiere.supprimee_le is not None
    from app.security.scope import Scope

    actives = db.session.scalars(pressenties.actives(Scope(departements=frozenset({"38"})))).all()
    assert [g.id for g in actives] == [seconde.id]


def test_only_the_prefet_of_the_departement_or_anct_writes(prefet38):
    prefet_region = make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")
    prefet74 = make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    hub = make_user(roles.HUB, "hub", region_code="84")
    for user in (prefet_region, prefet74, hub):
        with pytest.raises(ActionNonAutorisee):
            _remonter(user)
    gp = _remonter(prefet38)
    with pytest.raises(ActionNonAutorisee):
        pressenties.supprimer(gp, prefet_region)


def test_deadline_refuses_deposit_edit_and_delete(prefet38):
    gp = _remonter(prefet38)
    apres = calendrier.echeance(FERME) + timedelta(seconds=1)
    brut = pressenties.brut_depuis_json(pressentie_json())
    for action in (lambda: pressenties.remonter("38", prefet38, brut, apres),
                   lambda: pressenties.modifier(gp, prefet38, brut, apres),
                   lambda: pressenties.supprimer(gp, prefet38, apres)):
        with pytest.raises(EcheanceDepassee):
            action()
    db.session.expire_all()
    gp = db.session.get(GouvernancePressentie, gp.id)
    assert gp.supprimee_le is None and gp.modifie_le is None


# --- screens -----------------------------------------------------------------------------------------

def _formulaire(client, url: str, **valeurs):
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "action": "deposer", **valeurs}
    return client.post(url, data=data)


VALEURS = {"perimetre": "departemental", "porteur_collectivite": "departement:38",
           "structures_recruteuses-0-siret": SIRET_CD38, "structures_recruteuses-1-siret": "213 801 855 00015",
           "note_contexte": "Premières réunions avec le conseil départemental."}


def test_prefet_reports_a_gouvernance_with_two_recruiting_sirets_and_sees_its_card(client, prefet38):
    login(client, "prefet-38")
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert "Proposition modifiable jusqu&#39;au" in page or "Proposition modifiable jusqu'au" in page
    assert 'id="remonter-gouvernance"' in page
    formulaire = client.get("/gouvernance/departement/38/remonter").get_data(as_text=True)
    assert "Quel est le périmètre géographique de la gouvernance ?" in formulaire
    assert "Rechercher la collectivité" in formulaire
    # Two recruiting structures: « Ajouter » adds a row (no JavaScript needed).
    ajout = _formulaire(client, "/gouvernance/departement/38/remonter", action="ajouter:structures_recruteuses",
                        **{"structures_recruteuses-0-siret": SIRET_CD38})
    assert 'name="structures_recruteuses-1-siret"' in ajout.get_data(as_text=True)
    recherche = _formulaire(client, "/gouvernance/departement/38/remonter", action="chercher:porteur_collectivite",
                            porteur_collectivite__recherche="isere")
    assert 'value="departement:38"' in recherche.get_data(as_text=True)
    response = _formulaire(client, "/gouvernance/departement/38/remonter", **VALEURS)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    gp = db.session.scalar(select(GouvernancePressentie))
    assert gp.sirets_recruteurs == [SIRET_CD38, SIRET_A]
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert f'id="gouvernance-{gp.id}"' in page
    assert "Déposée le" in page and "par Prénom prefet-38" in page
    assert "Conseil départemental — Isère (38)" in page and SIRET_CD38 in page and SIRET_A in page
    # Edit: « Modifiée le … par … ».
    edition = _formulaire(client, f"/gouvernance/pressentie/{gp.id}/modifier",
                          **{**VALEURS, "perimetre": "epci", "porteur_collectivite": "epci:200040715"})
    assert edition.status_code == 302
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert f'id="gouvernance-{gp.id}-modification"' in page and "Grenoble-Alpes-Métropole" in page
    # Printable page: the answers as asked in the form's version.
    imprimable = client.get(f"/gouvernance/pressentie/{gp.id}").get_data(as_text=True)
    assert "Quel est le périmètre géographique de la gouvernance ?" in imprimable and "EPCI ou groupement" in imprimable
    assert "@media print" in open("app/static/css/gouvernances.css").read()


def test_form_errors_are_shown_and_nothing_is_stored(client, prefet38):
    login(client, "prefet-38")
    response = _formulaire(client, "/gouvernance/departement/38/remonter",
                           **{**VALEURS, "structures_recruteuses-0-siret": "12345678901234"})
    assert response.status_code == 400
    assert "clé de contrôle est incorrecte" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(GouvernancePressentie)) == 0
    # The département is never the user's choice: the URL's (and the scope's) only.
    _formulaire(client, "/gouvernance/departement/38/remonter", **{**VALEURS, "departement": "74"})
    assert db.session.scalar(select(GouvernancePressentie.departement_code)) == "38"


def test_delete_asks_for_confirmation_and_is_soft(client, prefet38):
    gp = _remonter(prefet38)
    login(client, "prefet-38")
    confirmation = client.get(f"/gouvernance/pressentie/{gp.id}/supprimer")
    assert "Supprimer la gouvernance pressentie" in confirmation.get_data(as_text=True)
    assert client.post(f"/gouvernance/pressentie/{gp.id}/supprimer").status_code == 400  # no CSRF token
    response = client.post(f"/gouvernance/pressentie/{gp.id}/supprimer",
                           data={"csrf_token": csrf_token(confirmation.get_data(as_text=True))})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(GouvernancePressentie, gp.id).supprimee_le is not None
    assert f'id="gouvernance-{gp.id}"' not in client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert client.get(f"/gouvernance/pressentie/{gp.id}").status_code == 404


def test_after_the_deadline_the_page_is_read_only_and_edits_are_refused(client, prefet38):
    gp = _remonter(prefet38)
    login(client, "prefet-38")
    page = client.get(f"/gouvernance/pressentie/{gp.id}/modifier")
    jeton = csrf_token(page.get_data(as_text=True))
    fermer(FERME)  # time travel: the milestone passed a minute ago
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert "Proposition close depuis le" in page
    assert 'id="remonter-gouvernance"' not in page and f'id="modifier-{gp.id}"' not in page
    assert f'id="supprimer-{gp.id}"' not in page and f'id="imprimer-{gp.id}"' in page
    for url in ("/gouvernance/departement/38/remonter", f"/gouvernance/pressentie/{gp.id}/modifier",
                f"/gouvernance/pressentie/{gp.id}/supprimer"):
        refus = client.post(url, data={"csrf_token": jeton, "action": "deposer", **VALEURS})
        assert refus.status_code == 409, url
        assert "La date limite est dépassée" in refus.get_data(as_text=True)
        assert client.get(url).status_code == 409
    db.session.expire_all()
    gp = db.session.get(GouvernancePressentie, gp.id)
    assert gp.supprimee_le is None and gp.modifie_le is None
    assert db.session.scalar(select(func.count()).select_from(GouvernancePressentie)) == 1


def test_prefet_de_region_reads_every_departement_of_its_region_without_writing(client, prefet38):
    gp = _remonter(prefet38)
    make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")
    login(client, "prefet-ara")
    choix = client.get("/gouvernance/").get_data(as_text=True)
    assert "/gouvernance/departement/38" in choix and "/gouvernance/departement/74" in choix
    assert "/gouvernance/departement/75" not in choix
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert f'id="gouvernance-{gp.id}"' in page and 'id="remonter-gouvernance"' not in page
    assert f'id="modifier-{gp.id}"' not in page
    assert client.get("/gouvernance/departement/38/remonter").status_code == 403
    assert client.get(f"/gouvernance/pressentie/{gp.id}/modifier").status_code == 403
    assert client.get("/gouvernance/departement/75").status_code == 404
    assert client.get(f"/gouvernance/pressentie/{gp.id}").status_code == 200


def test_prefet_of_another_departement_gets_404(client, prefet38):
    gp = _remonter(prefet38)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    login(client, "prefet-74")
    assert client.get("/gouvernance/").headers["Location"].endswith("/gouvernance/departement/74")
    for url in ("/gouvernance/departement/38", f"/gouvernance/pressentie/{gp.id}",
                f"/gouvernance/pressentie/{gp.id}/modifier", "/gouvernance/departement/38/remonter"):
        assert client.get(url).status_code == 404, url


def test_anct_national_list_with_filters_and_csv(client, prefet38):
    _remonter(prefet38)
    _remonter(prefet38, perimetre="epci", porteur="epci:200040715")
    anct = make_user(roles.ANCT, "anct")
    pressenties.remonter("74", anct, pressenties.brut_depuis_json(pressentie_json(porteur="departement:74")))
    login(client, "anct")
    page = client.get("/gouvernance/pressenties/").get_data(as_text=True)
    assert "3 gouvernances pressenties" in page
    page = client.get("/gouvernance/pressenties/?departement=38&perimetre=epci").get_data(as_text=True)
    assert "1 gouvernance pressentie" in page and "Grenoble-Alpes-Métropole" in page
    assert "Conseil départemental — Haute-Savoie" not in page
    export = client.get("/gouvernance/pressenties/export.csv?region=84&perimetre=departemental")
    assert export.status_code == 200
    texte = export.get_data(as_text=True)
    assert texte.startswith("\ufeffID;Département;Région;Périmètre;Porteur")
    lignes = texte.strip().split("\r\n")
    assert len(lignes) == 3 and "Départemental" in lignes[1]
    assert "gouvernances-pressenties_national_" in export.headers["Content-Disposition"]
    assert db.session.scalar(select(ExportLog.export)) == "gouvernances-pressenties"
    make_user(roles.PREFET_DEPARTEMENT, "autre-prefet", departement_code="74")
    client.get("/logout/")
    login(client, "autre-prefet")
    assert client.get("/gouvernance/pressenties/").status_code == 403


# --- REST API -----------------------------------------------------------------------------------------------

def test_api_crud_with_the_same_rules(client, prefet38):
    headers = api_token(client, "prefet-38")
    creation = client.post("/api/v1/gouvernance/", json={"departement": "38", **pressentie_json()}, headers=headers)
    assert creation.status_code == 201, creation.json
    ident = creation.json["id"]
    assert creation.json["result"]["sirets_recruteurs"] == [SIRET_CD38, SIRET_A]
    assert creation.json["result"]["deposee_par"] == "Prénom prefet-38"
    liste = client.get("/api/v1/gouvernance/", headers=headers)
    assert liste.json["count"] == 1 and liste.json["result"][0]["id"] == ident
    assert client.get(f"/api/v1/gouvernance/{ident}", headers=headers).json["result"]["perimetre"] == "departemental"
    modification = client.put(f"/api/v1/gouvernance/{ident}", json=pressentie_json(sirets_recruteurs=[SIRET_B]),
                              headers=headers)
    assert modification.status_code == 200 and modification.json["result"]["modifiee_par"] == "Prénom prefet-38"
    # 400: French messages per field.
    erreur = client.put(f"/api/v1/gouvernance/{ident}", json=pressentie_json(sirets_recruteurs=["123"], perimetre="x"),
                        headers=headers)
    assert erreur.status_code == 400
    assert "14 chiffres" in erreur.json["erreurs"]["sirets_recruteurs.0"][0] and "perimetre" in erreur.json["erreurs"]
    assert client.put(f"/api/v1/gouvernance/{ident}", json={"inconnu": 1}, headers=headers).status_code == 400
    assert client.put(f"/api/v1/gouvernance/{ident}", json={**pressentie_json(), "departement": "74"},
                      headers=headers).status_code == 400
    # 403: another département.
    assert client.post("/api/v1/gouvernance/", json={"departement": "74", **pressentie_json()},
                       headers=headers).status_code == 403
    # 409 after the deadline, for every write.
    fermer(FERME)
    assert client.put(f"/api/v1/gouvernance/{ident}", json=pressentie_json(), headers=headers).status_code == 409
    assert client.delete(f"/api/v1/gouvernance/{ident}", headers=headers).status_code == 409
    refus = client.post("/api/v1/gouvernance/", json={"departement": "38", **pressentie_json()}, headers=headers)
    assert refus.status_code == 409 and "date limite est dépassée" in refus.json["message"]
    assert client.get(f"/api/v1/gouvernance/{ident}", headers=headers).json["result"]["modifiable"] is False
    ouvrir(FERME)
    assert client.delete(f"/api/v1/gouvernance/{ident}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/gouvernance/{ident}", headers=headers).status_code == 404


def test_api_scope_404_and_read_only_roles_403(client, prefet38):
    gp = _remonter(prefet38)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")
    voisin = api_token(client, "prefet-74")
    assert client.get(f"/api/v1/gouvernance/{gp.id}", headers=voisin).status_code == 404
    assert client.put(f"/api/v1/gouvernance/{gp.id}", json=pressentie_json(), headers=voisin).status_code == 404
    assert client.delete(f"/api/v1/gouvernance/{gp.id}", headers=voisin).status_code == 404
    assert client.get("/api/v1/gouvernance/", headers=voisin).json["count"] == 0
    region = api_token(client, "prefet-ara")
    assert client.get(f"/api/v1/gouvernance/{gp.id}", headers=region).status_code == 200
    assert client.put(f"/api/v1/gouvernance/{gp.id}", json=pressentie_json(), headers=region).status_code == 403
    assert client.delete(f"/api/v1/gouvernance/{gp.id}", headers=region).status_code == 403
    assert client.post("/api/v1/gouvernance/", json={"departement": "38", **pressentie_json()},
                       headers=region).status_code == 403
    assert client.get("/api/v1/gouvernance/").status_code == 401
    db.session.expire_all()
    assert db.session.get(GouvernancePressentie, gp.id).modifie_le is None


def test_api_deadline_checked_again_inside_the_transaction(prefet38):
    """The engine's on-submit callback re-checks the milestone with the submission's own time."""
    gp = _remonter(prefet38)
    calendrier.definir_echeance(FERME, utcnow() + timedelta(hours=1))
    db.session.commit()
    with pytest.raises(EcheanceDepassee):
        pressenties.modifier(gp, prefet38, pressenties.brut_depuis_json(pressentie_json()),
                             utcnow() + timedelta(hours=2))
