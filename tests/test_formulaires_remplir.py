"""Filling a form through its signed link: rendering, drafts, submission, calendar, CSRF, tokens, prefill."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.formulaires import service
from app.formulaires.models import Soumission
from app.models import Structure
from tests.conftest import csrf_token
from tests.formulaires_helpers import chemin, nouveau, ouvrir, poster, recharger

PARIS = ZoneInfo("Europe/Paris")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"

GOUVERNANCE_VALIDE = {
    "departement": "38", "perimetre": "departemental", "porteur_collectivite": "departement:38",
    "structures_recruteuses-0-siret": "22380001200013", "note_contexte": "<p>Les EPCI se <em>concertent</em>.</p>",
}
CANDIDATURE_VALIDE = {
    "type_structure": "commune", "nom": "Commune de Voiron", "siret": "21380563300004", "adresse": "Place Léon Chaloin",
    "code_postal": "38500", "commune": "Voiron", "contact_prenom": "Camille", "contact_nom": "Martin",
    "contact_fonction": "Directrice générale des services", "contact_email": "camille.martin@voiron.fr",
    "contact_telephone": "04 76 67 27 27", "candidat_identifie": "non", "candidature_coordinateur": "oui",
    "echelon_coordinateur": "bassin_de_vie", "missions_coordinateur": "coordination_et_publics",
}
MOTIVATION_VALIDE = {
    "structure_nom": "Commune de Voiron", "structure_siret": "21380563300004", "contact_prenom": "Camille",
    "contact_nom": "Martin", "contact_email": "camille.martin@voiron.fr",
    "strategie_inclusion": "action de coordination territoriale", "dispositif_conseiller_numerique": "jamais",
    "raisons_candidature": "Structurer la médiation numérique du Voironnais.", "coordination_existante": "oui",
    "structures_collaboration": "Mairie,", "positionnement_coordinateur": "Rattaché à la DGS.",
    "zone_geographique": "Département du 39 (jura)", "echelon_geographique": "departemental",
    "adhesion_structures": "non",
}


@pytest.fixture(autouse=True)
def sans_abonnes():
    """The engine is tested alone: other packages' on-submit callbacks are set aside, then restored."""
    saved = {k: list(v) for k, v in service._ON_SUBMIT.items()}
    service._ON_SUBMIT.clear()
    yield
    service._ON_SUBMIT.clear()
    service._ON_SUBMIT.update(saved)


@pytest.fixture
def calendrier(app):
    previous = app.config["FORMULAIRES_CALENDRIER"]
    yield lambda value: app.config.__setitem__("FORMULAIRES_CALENDRIER", value)
    app.config["FORMULAIRES_CALENDRIER"] = previous


@pytest.fixture
def upload_dir(app, tmp_path):
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads" / "formulaires"
    app.config["UPLOAD_DIR"] = previous


def paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


# --- accessible markup ------------------------------------------------------------------------------

class Markup(HTMLParser):
    """Inputs, labels and fieldsets of a page, to check that every input is named."""

    def __init__(self):
        super().__init__()
        self.inputs, self.label_for, self.ids, self.stack, self.legend_fieldsets = [], set(), {}, [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = attrs
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag == "fieldset":
            self.stack.append(attrs)
        if tag == "legend" and self.stack:
            self.legend_fieldsets.add(id(self.stack[-1]))
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.inputs.append((tag, attrs, self.stack[-1] if self.stack else None))

    def handle_endtag(self, tag):
        if tag == "fieldset" and self.stack:
            self.stack.pop()


def check_accessible(html: str) -> Markup:
    page = Markup()
    page.feed(html)
    assert page.inputs
    for tag, attrs, fieldset in page.inputs:
        assert attrs.get("id") in page.label_for, f"{tag} {attrs} sans <label for>"
        if attrs.get("type") in ("radio", "checkbox") and fieldset is not None and attrs.get("name", "").find("__") < 0:
            assert id(fieldset) in page.legend_fieldsets, f"{attrs} : groupe sans <legend>"
        for ref in (attrs.get("aria-describedby") or "").split():
            assert ref in page.ids, f"aria-describedby={ref} ne désigne rien"
    return page


@pytest.mark.parametrize("form_id", ["motivation-coordinateur", "candidature-coordinateur", "gouvernance-pressentie"])
def test_shipped_forms_render_in_french_and_accessible(client, form_id):
    status, html = ouvrir(client, chemin(nouveau(form_id)))
    assert status == 200
    assert '<html lang="fr"' in html
    assert "Les champs marqués d'un astérisque" in html and "Déposer le formulaire" in html
    assert 'name="csrf_token"' in html
    page = check_accessible(html)
    assert any(a.get("aria-required") == "true" for _, a, _ in page.inputs)
    assert "formulaires.js" in html and "//cdn" not in html


def test_motivation_form_asks_the_seed_questions_in_their_wording(client):
    _, html = ouvrir(client, chemin(nouveau("motivation-coordinateur")))
    for question in [
        "Avez-vous mis en place une stratégie d'inclusion numérique ? Si oui, quelles actions menez-vous dans ce cadre ?",
        "Votre structure bénéficie-t-elle déjà du dispositif Conseiller numérique ?",
        "Ma structure n'a jamais bénéficié du dispositif Conseiller numérique",
        "Opérez-vous déjà une action de coordination sur les actions de médiation numérique de votre territoire ?",
        "Dans ce contexte, avec quelles structures collaborez-vous ? Une forme de coordination existe-t-elle déjà ?",
        "Quelle zone géographique souhaitez-vous coordonner ?",
        "Les structures que vous souhaitez coordonner ont-elles adhéré à votre projet de coordination et d'animation ?",
        "Temps de remplissage estimé : 11 min",
    ]:
        assert question.replace("'", "&#39;") in html, question


def test_deadline_is_shown_in_french(client, calendrier):
    calendrier({"motivation-coordinateur": {"closes_at": "2099-12-10T23:59"}})
    _, html = ouvrir(client, chemin(nouveau("motivation-coordinateur")))
    assert "Date limite : 10 décembre 2099 à 23 h 59 (heure de Paris)." in html


def test_errors_are_linked_to_their_fields(client):
    soumission = nouveau("candidature-coordinateur")
    path = chemin(soumission)
    response = poster(client, path, {"siret": "22380001200014", "contact_email": "pas-une-adresse"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Le formulaire n'a pas été enregistré" in html
    assert re.search(r'id="siret"[^>]*aria-invalid="true" aria-describedby="siret-erreur"', html)
    assert '<p id="siret-erreur" class="fr-error-text">Ce SIRET n&#39;existe pas' in html
    assert '<a href="#contact_email">Adresse électronique : Adresse électronique invalide' in html
    assert 'aria-labelledby="type_structure-legende type_structure-erreur"' in html  # a radio group in error
    check_accessible(html)
    assert recharger(soumission).reponses == {} and recharger(soumission).statut == "brouillon"


# --- drafts, submission ------------------------------------------------------------------------------

def test_draft_is_saved_and_resumed(client):
    soumission = nouveau("gouvernance-pressentie", objet_type="departement_test", objet_id=38)
    path = chemin(soumission)
    response = poster(client, path, {"perimetre": "autre", "porteur_nom": "Préfecture de l'Isère"}, action="brouillon")
    assert response.status_code == 302 and response.headers["Location"].endswith(path)  # same link, same expiry
    saved = recharger(soumission)
    assert saved.statut == "brouillon" and saved.reponses == {"perimetre": "autre",
                                                              "porteur_nom": "Préfecture de l'Isère"}
    _, html = ouvrir(client, response.headers["Location"])
    assert "Brouillon enregistré le" in html and 'value="Préfecture de l&#39;Isère"' in html
    assert re.search(r'value="autre" checked', html)
    # One open draft per (form, object): resuming gives the same submission back.
    again = service.start_or_resume("gouvernance-pressentie", objet_type="departement_test", objet_id=38)
    assert again.id == soumission.id


def test_submitted_form_is_read_only(client):
    soumission = nouveau("gouvernance-pressentie")
    path = chemin(soumission)
    response = poster(client, path, GOUVERNANCE_VALIDE)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    saved = recharger(soumission)
    assert saved.statut == "soumise" and saved.soumise_le is not None
    assert saved.reponses["structures_recruteuses"] == [{"siret": "22380001200013"}]
    _, html = ouvrir(client, path)
    assert "Formulaire déposé le" in html and "Il ne peut plus être modifié" in html
    assert "<form" not in html.split('id="contenu"')[1]
    assert "Isère (38)" in html and "223 800 012 00013" in html and "<em>concertent</em>" in html
    # A second post (another tab) changes nothing.
    token = csrf_token(ouvrir(client, "/login/")[1])
    late = client.post(path, data={"csrf_token": token, "action": "brouillon", "perimetre": "regional"})
    assert late.status_code == 409 and "déjà été déposé" in late.get_data(as_text=True)
    assert recharger(soumission).reponses["perimetre"] == "departemental"


def test_answers_that_became_hidden_are_dropped_on_submit(client):
    soumission = nouveau("candidature-coordinateur")
    posted = {**CANDIDATURE_VALIDE, "candidature_coordinateur": "non"}  # echelon and missions still posted
    assert poster(client, chemin(soumission), posted).status_code == 302
    reponses = recharger(soumission).reponses
    assert reponses["candidature_coordinateur"] is False
    assert "echelon_coordinateur" not in reponses and "missions_coordinateur" not in reponses


def test_public_accompaniment_only_offered_at_bassin_de_vie_level(client):
    path = chemin(nouveau("candidature-coordinateur"))
    departemental = {**CANDIDATURE_VALIDE, "echelon_coordinateur": "departemental"}
    assert poster(client, path, departemental).status_code == 302
    soumission = db.session.scalar(select(Soumission).order_by(Soumission.id.desc()))
    assert "missions_coordinateur" not in soumission.reponses
    labels = [i["label"] for i in service.answers_for_display(soumission)]
    assert "Le coordinateur :" not in labels
    # At bassin de vie level the question is asked, and required.
    other = nouveau("candidature-coordinateur")
    missing = {k: v for k, v in CANDIDATURE_VALIDE.items() if k != "missions_coordinateur"}
    response = poster(client, chemin(other), missing)
    assert response.status_code == 422 and "Le coordinateur : Veuillez choisir une réponse" in response.get_data(as_text=True)


def test_group_rows_are_added_and_removed_without_saving(client):
    soumission = nouveau("gouvernance-pressentie")
    path = chemin(soumission)
    response = poster(client, path, {"structures_recruteuses-0-siret": "22380001200013"},
                      action="ajouter:structures_recruteuses")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="structures_recruteuses-1-siret"' in html and 'value="22380001200013"' in html
    response = client.post(path, data={"csrf_token": csrf_token(html), "action": "retirer:structures_recruteuses:0",
                                       "structures_recruteuses-0-siret": "22380001200013",
                                       "structures_recruteuses-1-siret": "35600000049837"})
    html = response.get_data(as_text=True)
    assert 'value="35600000049837"' in html and 'value="22380001200013"' not in html
    assert recharger(soumission).reponses == {}


def test_collectivite_search_works_without_javascript(client):
    path = chemin(nouveau("gouvernance-pressentie"))
    response = poster(client, path, {"porteur_collectivite__recherche": "isere"}, action="chercher:porteur_collectivite")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="departement:38"' in html and "Isère (38) — département" in html
    assert 'value="commune:38185"' not in html  # communes are not offered for a porteur
    # The live search of formulaires.js calls the territories endpoint, open to anonymous visitors.
    api = client.get("/territoires/recherche?q=grenoble&types=commune,epci&limit=10")
    assert api.status_code == 200
    assert any(r["code"] == "38185" for r in api.json["resultats"])


def test_unknown_collectivite_code_is_refused(client):
    soumission = nouveau("gouvernance-pressentie")
    response = poster(client, chemin(soumission), {**GOUVERNANCE_VALIDE, "porteur_collectivite": "epci:999999999"})
    assert response.status_code == 422 and "Collectivité introuvable" in response.get_data(as_text=True)
    assert recharger(soumission).statut == "brouillon"


def test_file_upload_is_checked_stored_and_downloadable(client, upload_dir, app):
    from tests.factories import make_user

    soumission = nouveau("motivation-coordinateur")
    path = chemin(soumission)
    refused = poster(client, path, {"document_projet": (__import__("io").BytesIO(b"MZ"), "outil.exe")},
                     action="brouillon", content_type="multipart/form-data")
    assert refused.status_code == 422 and "Format de fichier non accepté" in refused.get_data(as_text=True)
    saved = poster(client, path, {"document_projet": (__import__("io").BytesIO(PDF), "Projet Voiron.pdf")},
                   action="brouillon", content_type="multipart/form-data")
    assert saved.status_code == 302
    answer = recharger(soumission).reponses["document_projet"]
    assert answer["nom"] == "Projet Voiron.pdf" and answer["taille"] == len(PDF)
    stored = list(upload_dir.rglob("*.pdf"))
    assert len(stored) == 1 and "Voiron" not in stored[0].name  # random name on disk
    _, html = ouvrir(client, path)
    assert "Fichier enregistré : <strong>Projet Voiron.pdf</strong>" in html
    # The file stays with the draft when the next save sends no new file, then is submitted.
    assert poster(client, path, MOTIVATION_VALIDE).status_code == 302
    assert recharger(soumission).reponses["document_projet"]["chemin"] == answer["chemin"]
    download = client.get(f"{path}/fichier/document_projet")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"{path}/fichier/strategie_inclusion").status_code == 404
    make_user(username="anct-fichier")
    from tests.conftest import login

    login(client, "anct-fichier")
    admin = client.get(f"/formulaires/admin/soumission/{soumission.id}/fichier/document_projet")
    assert admin.status_code == 200 and admin.data == PDF


def test_replaced_file_is_deleted(client, upload_dir):
    soumission = nouveau("motivation-coordinateur")
    path = chemin(soumission)
    for name in ("v1.pdf", "v2.pdf"):
        assert poster(client, path, {"document_projet": (__import__("io").BytesIO(PDF), name)}, action="brouillon",
                      content_type="multipart/form-data").status_code == 302
    assert len(list(upload_dir.rglob("*.pdf"))) == 1
    assert poster(client, path, {"document_projet__supprimer": "1"}, action="brouillon").status_code == 302
    assert "document_projet" not in recharger(soumission).reponses and not list(upload_dir.rglob("*.pdf"))


# --- calendar -----------------------------------------------------------------------------------------

def test_closing_date_is_enforced_on_the_server(client, calendrier):
    soumission = nouveau("gouvernance-pressentie")
    path = chemin(soumission, expires_at=datetime.now(UTC) + timedelta(days=30))
    assert poster(client, path, {"perimetre": "regional"}, action="brouillon").status_code == 302
    _, html = ouvrir(client, path)
    token = csrf_token(html)
    hier = datetime.now(UTC) - timedelta(days=1)
    calendrier({"gouvernance-pressentie": {"closes_at": paris(hier)}})
    response = client.post(path, data={**GOUVERNANCE_VALIDE, "csrf_token": token, "action": "deposer"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "La date limite de dépôt est dépassée" in text and "(heure de Paris)" in text
    saved = recharger(soumission)
    assert saved.statut == "brouillon" and saved.reponses == {"perimetre": "regional"}
    # The draft stays readable.
    status, html = ouvrir(client, path)
    assert status == 200 and "Régional" in html and "<form" not in html.split('id="contenu"')[1]


def test_shipped_calendar_closes_the_motivation_form_on_10_december_2023(client, calendrier):
    calendrier({})  # the definition's own dates
    soumission = nouveau("motivation-coordinateur")
    assert service.closing_datetime("motivation-coordinateur") == datetime(2023, 12, 10, 22, 59, 59, 999999,
                                                                            tzinfo=UTC)
    status, html = ouvrir(client, chemin(soumission, expires_at=datetime.now(UTC) + timedelta(days=1)))
    assert status == 200 and "ouvert jusqu&#39;au 10/12/2023 à 23:59 (heure de Paris)" in html
    # Without an explicit expiry the link followed the form: read-only for 30 days after closing, then gone.
    status, html = ouvrir(client, chemin(soumission))
    assert status == 410 and "Ce lien a expiré le 09/01/2024" in html


def test_not_yet_open(client, calendrier):
    calendrier({"gouvernance-pressentie": {"opens_at": "2099-01-01T09:00", "closes_at": None}})
    _, html = ouvrir(client, chemin(nouveau("gouvernance-pressentie")))
    assert "Ce formulaire ouvrira le 01/01/2099 à 09:00" in html


def test_calendar_provider_of_another_package(client, calendrier):
    calendrier({})
    service.register_calendar("gouvernance-pressentie",
                              lambda: {"closes_at": datetime.now(UTC) + timedelta(days=3)})
    try:
        soumission = nouveau("gouvernance-pressentie")
        assert poster(client, chemin(soumission), GOUVERNANCE_VALIDE).status_code == 302
    finally:
        from app.formulaires import calendrier as module

        module._PROVIDERS.pop("gouvernance-pressentie", None)


# --- CSRF and links ------------------------------------------------------------------------------------

def test_csrf_is_enforced(client):
    soumission = nouveau("gouvernance-pressentie")
    path = chemin(soumission)
    without = client.post(path, data={**GOUVERNANCE_VALIDE, "action": "deposer"})
    forged = client.post(path, data={**GOUVERNANCE_VALIDE, "action": "deposer", "csrf_token": "forge"})
    assert without.status_code == 400 and forged.status_code == 400
    assert "Requête invalide" in without.get_data(as_text=True)
    saved = recharger(soumission)
    assert saved.statut == "brouillon" and saved.reponses == {}


def test_tampered_token_is_rejected(client):
    soumission = nouveau("gouvernance-pressentie")
    path = chemin(soumission)
    token = path.rsplit("/", 1)[1]
    body, signature = token.rsplit(".", 1)
    tampered = f"{body}.{signature[:-2]}{'A' if signature[-2] != 'A' else 'B'}{signature[-1]}"
    status, html = ouvrir(client, f"/formulaires/remplir/{tampered}")
    assert status == 404 and "Ce lien n&#39;est pas valide" in html
    assert ouvrir(client, "/formulaires/remplir/1")[0] == 404  # an id is not a link
    assert ouvrir(client, f"/formulaires/remplir/{soumission.id}")[0] == 404


def test_token_of_another_submission_cannot_be_forged(client, app):
    from itsdangerous import URLSafeTimedSerializer

    victim = nouveau("gouvernance-pressentie")
    forged = URLSafeTimedSerializer("une-autre-cle", salt="formulaires.remplir.v1").dumps(
        {"s": victim.id, "k": victim.cle_acces[:16], "e": None})
    assert ouvrir(client, f"/formulaires/remplir/{forged}")[0] == 404


def test_expired_and_revoked_links(client):
    soumission = nouveau("gouvernance-pressentie")
    expired = chemin(soumission, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    status, html = ouvrir(client, expired)
    assert status == 410 and "Ce lien a expiré" in html
    valid = chemin(soumission)
    assert ouvrir(client, valid)[0] == 200
    soumission.cle_acces = "nouvelle-cle-aleatoire-0123456789"  # revokes every link to it
    db.session.commit()
    assert ouvrir(client, valid)[0] == 404


def test_fill_url_is_absolute_and_signed(app):
    soumission = nouveau("gouvernance-pressentie")
    url = service.fill_url(soumission)
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/formulaires/remplir/")
    token = url.split("/remplir/")[1]
    assert token.count(".") == 2 and len(token) > 60 and "?" not in url


# --- prefill, callbacks ---------------------------------------------------------------------------------

def test_prefill_through_a_signed_link(client):
    soumission = service.start_or_resume(
        "motivation-coordinateur", objet_type="candidature", objet_id=12,
        prefill={"structure_nom": "Mairie de Grenoble", "structure_siret": "22380001200013",
                 "contact_email": "pas-valide", "champ_disparu": "x", "coordination_existante": "oui"},
        respondent_email="dgs@grenoble.fr")
    db.session.commit()
    assert soumission.reponses == {"structure_nom": "Mairie de Grenoble", "structure_siret": "22380001200013",
                                   "coordination_existante": True}  # invalid and unknown values skipped
    _, html = ouvrir(client, chemin(soumission))
    assert 'value="Mairie de Grenoble"' in html and 'value="22380001200013"' in html
    # Resuming keeps what the respondent typed, and prefills only what is still empty.
    soumission.reponses = {**soumission.reponses, "structure_nom": "Ville de Grenoble"}
    db.session.commit()
    again = service.start_or_resume("motivation-coordinateur", objet_type="candidature", objet_id=12,
                                    prefill={"structure_nom": "Mairie de Grenoble", "contact_prenom": "Éric"})
    assert again.id == soumission.id
    assert again.reponses["structure_nom"] == "Ville de Grenoble" and again.reponses["contact_prenom"] == "Éric"
    assert service.latest_for("motivation-coordinateur", "candidature", 12).id == soumission.id
    assert service.latest_for("motivation-coordinateur", "candidature", 13) is None


def test_on_submit_callbacks_run_in_the_same_transaction(client):
    calls = []

    def callback(soumission):
        db.session.add(Structure(nom="Créée par le rappel", type="commune", departement_code="38", region_code="84"))
        calls.append(soumission.statut)

    service.register_on_submit("gouvernance-pressentie", callback)
    soumission = nouveau("gouvernance-pressentie")
    assert poster(client, chemin(soumission), GOUVERNANCE_VALIDE).status_code == 302
    assert calls == ["soumise"]
    assert db.session.scalar(select(func.count()).select_from(Structure)) == 1


def test_on_submit_callback_may_refuse(client):
    def refuse(soumission):
        db.session.add(Structure(nom="Ne doit pas rester", type="commune", departement_code="38", region_code="84"))
        raise service.FormRejected("Une gouvernance est déjà remontée pour ce porteur.")

    service.register_on_submit("gouvernance-pressentie", refuse)
    soumission = nouveau("gouvernance-pressentie")
    response = poster(client, chemin(soumission), GOUVERNANCE_VALIDE)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Une gouvernance est déjà remontée pour ce porteur." in html
    assert 'value="22380001200013"' in html  # the answers are still on the page
    saved = recharger(soumission)
    assert saved.statut == "brouillon" and saved.reponses == {} and saved.soumise_le is None
    assert db.session.scalar(select(func.count()).select_from(Structure)) == 0


def test_public_form_started_by_anyone(client):
    page = client.get("/formulaires/commencer/candidature-coordinateur")
    assert page.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Soumission)) == 0  # nothing written on GET
    response = client.post("/formulaires/commencer/candidature-coordinateur",
                           data={**CANDIDATURE_VALIDE, "csrf_token": csrf_token(page.get_data(as_text=True)),
                                 "action": "deposer"})
    assert response.status_code == 302 and "/formulaires/remplir/" in response.headers["Location"]
    soumission = db.session.scalar(select(Soumission))
    assert soumission.statut == "soumise" and soumission.respondent_email == "camille.martin@voiron.fr"
    assert client.get("/formulaires/commencer/gouvernance-pressentie").status_code == 404  # not public
    assert client.get("/formulaires/commencer/inconnu").status_code == 404


def test_answers_macro_displays_a_submission(app):
    soumission = nouveau("gouvernance-pressentie")
    soumission.reponses = {"departement": "38", "perimetre": "autre", "porteur_nom": "Préfecture",
                           "porteur_siret": "22380001200013", "note_contexte": "<p>Texte</p>"}
    db.session.commit()
    with app.test_request_context():
        from flask import render_template_string

        html = render_template_string('{% from "formulaires/_reponses.html" import reponses_soumission %}'
                                      "{{ reponses_soumission(s, 3) }}", s=soumission)
    assert '<h3 class="formulaire-reponses-section">Porteur de la feuille de route</h3>' in html
    assert "<dt>SIRET du porteur</dt>" in html and "223 800 012 00013" in html and "<p>Texte</p>" in html
    assert "Qui sera le porteur de la feuille de route ?" in html
    assert "porteur_collectivite" not in html  # hidden for « Autre »: not shown at all
