"""The HTML screens: préfet and ANCT lists and details, avis and decision forms (CSRF on), exports,
the structure's pages and the Banque des Territoires' contracts."""

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from app.candidatures import workflow
from app.candidatures.models import Candidature
from app.extensions import db
from app.models import Conseiller, Contrat
from app.models.journal import ExportLog
from app.security import roles
from tests.candidatures_fixtures import PDF, at, make_candidature
from tests.conftest import csrf_token, login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user


@pytest.fixture
def upload_dir(app, tmp_path):
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = previous


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:800])
    return response.get_data(as_text=True)


def lignes(html: str) -> list[str]:
    """Structure names in the list's table, in order."""
    corps = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<td><strong>([^<]+)</strong>", corps)


def onglets(html: str) -> dict[str, int]:
    return {label.strip(): int(n) for label, n in re.findall(r'aria-current="page">|>([^<>]+) \((\d+)\)</a>', html)
            if label}


@pytest.fixture
def monde():
    """Requests in 38, 74 (région 84) and 39 (another région), in every state."""
    s = {
        "voiron": make_structure("38", nom="Mairie de Voiron", code_postal="38500", siret="21380563400017"),
        "grenoble": make_structure("38", nom="CCAS de Grenoble", code_postal="38000"),
        "echirolles": make_structure("38", nom="Mairie d'Échirolles", code_postal="38130"),
        "annecy": make_structure("74", nom="MJC d'Annecy", code_postal="74000"),
        "jura": make_structure("39", nom="Département du Jura", code_postal="39000"),
        "brouillon": make_structure("38", nom="Brouillon de Vienne", code_postal="38200"),
    }
    c = {
        "voiron": make_candidature(s["voiron"], date_candidature=at(2023, 9, 19)),
        "grenoble": make_candidature(s["grenoble"], date_candidature=at(2023, 8, 8), avis="favorable",
                                     avis_commentaire="Oui", avis_le=at(2023, 9, 1)),
        "echirolles": make_candidature(s["echirolles"], "validee", date_candidature=at(2022, 11, 24)),
        "annecy": make_candidature(s["annecy"], date_candidature=at(2023, 8, 8)),
        "jura": make_candidature(s["jura"], "refusee", date_candidature=at(2023, 10, 1)),
        "brouillon": make_candidature(s["brouillon"], "brouillon"),
    }
    users = {
        "prefet-38": make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38"),
        "prefet-74": make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74"),
        "prefet-ara": make_user(roles.PREFET_REGION, "prefet-ara", region_code="84"),
        "anct": make_user(roles.ANCT, "anct"),
        "bdt": make_user(roles.BANQUE_DES_TERRITOIRES, "bdt"),
        "structure-voiron": make_user(roles.STRUCTURE, "structure-voiron", structure_id=s["voiron"].id),
    }
    return {"s": s, "c": c, "u": users}


# --- the list ----------------------------------------------------------------------------------------

def test_prefet_list_shows_its_territory_with_counters(client, monde):
    login(client, "prefet-38")
    html = page(client, "/candidatures/")
    assert "Demandes de coordinateur à traiter" in html
    assert lignes(html) == ["Mairie de Voiron", "CCAS de Grenoble", "Mairie d&#39;Échirolles"]  # date desc
    assert "Afficher toutes les candidatures (3)" in html and "Nouvelles candidatures (2)" in html
    assert "Candidatures validées (1)" in html and "Non retenues (0)" in html
    assert "MJC" not in html and "Jura" not in html and "Brouillon" not in html
    assert "19/09/2023" in html and "38500" in html and f"ID {monde['s']['voiron'].id}" in html
    # Region and département filters only offer its territory.
    assert 'value="38"' in html and 'value="74"' not in html and 'value="39"' not in html


def test_counters_reflect_scope_not_search(client, monde):
    login(client, "prefet-ara")
    html = page(client, "/candidatures/?q=voiron")
    assert lignes(html) == ["Mairie de Voiron"]
    assert "Afficher toutes les candidatures (4)" in html and "Nouvelles candidatures (3)" in html
    assert 'value="38"' in html and 'value="74"' in html and 'value="39"' not in html


@pytest.mark.parametrize("query, expected", [
    ("q=mairie", ["Mairie de Voiron", "Mairie d&#39;Échirolles"]),
    ("q=VOIRON", ["Mairie de Voiron"]),
    ("q=21380563400017", ["Mairie de Voiron"]),
    ("q=2138056", ["Mairie de Voiron"]),
    ("q=100%25", []),
    ("q=_", []),
    ("onglet=nouvelles", ["Mairie de Voiron", "CCAS de Grenoble", "MJC d&#39;Annecy"]),
    ("onglet=validees", ["Mairie d&#39;Échirolles"]),
    ("onglet=non_retenues", []),
    ("avis=sans&onglet=nouvelles", ["Mairie de Voiron", "MJC d&#39;Annecy"]),
    ("avis=favorable", ["CCAS de Grenoble"]),
    ("avis=defavorable", []),
    ("departement=74", ["MJC d&#39;Annecy"]),
    ("departement=39", ["Mairie de Voiron", "CCAS de Grenoble", "Mairie d&#39;Échirolles", "MJC d&#39;Annecy"]),
    ("region=27", ["Mairie de Voiron", "CCAS de Grenoble", "Mairie d&#39;Échirolles", "MJC d&#39;Annecy"]),
    ("tri=cp&ordre=asc", ["CCAS de Grenoble", "Mairie d&#39;Échirolles", "Mairie de Voiron", "MJC d&#39;Annecy"]),
    ("tri=cp&ordre=desc", ["MJC d&#39;Annecy", "Mairie de Voiron", "Mairie d&#39;Échirolles", "CCAS de Grenoble"]),
    ("tri=date&ordre=asc", ["Mairie d&#39;Échirolles", "MJC d&#39;Annecy", "CCAS de Grenoble", "Mairie de Voiron"]),
    ("tri=nom&ordre=sideways&page=abc&onglet=x", ["Mairie de Voiron", "MJC d&#39;Annecy", "CCAS de Grenoble",
                                                   "Mairie d&#39;Échirolles"]),
])
def test_search_filters_and_sort(client, monde, query, expected):
    login(client, "prefet-ara")
    html = page(client, f"/candidatures/?{query}")
    if "tri=cp" in query or "tri=date" in query:
        assert lignes(html)[:1] == expected[:1] and lignes(html)[-1:] == expected[-1:]
        assert sorted(lignes(html)) == sorted(expected)  # Grenoble and Annecy share a date: the id decides
    else:
        assert sorted(lignes(html)) == sorted(expected)


def test_search_by_structure_id(client, monde):
    login(client, "prefet-38")
    html = page(client, f"/candidatures/?q={monde['s']['grenoble'].id}")
    assert "CCAS de Grenoble" in lignes(html)


def test_anct_national_list_with_status_and_filters(client, monde):
    login(client, "anct")
    html = page(client, "/candidatures/")
    assert "Afficher toutes les candidatures (5)" in html
    assert "Département du Jura" in html and "Non retenue" in html
    assert "Brouillon de Vienne" not in html  # not submitted: not a request to process yet
    assert lignes(page(client, "/candidatures/?region=27")) == ["Département du Jura"]


def test_fifty_rows_a_page(client):
    structure_rows = [make_structure("38", nom=f"Structure {i:03d}", code_postal=f"38{i:03d}") for i in range(55)]
    for i, s in enumerate(structure_rows):
        make_candidature(s, date_candidature=at(2023, 1, 1) + timedelta(hours=i))
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    first = page(client, "/candidatures/?tri=cp&ordre=asc")
    assert len(lignes(first)) == 50 and lignes(first)[0] == "Structure 000"
    assert "page 1 sur 2" in first and 'rel="next"' in first
    second = page(client, "/candidatures/?tri=cp&ordre=asc&page=2")
    assert lignes(second) == [f"Structure {i:03d}" for i in range(50, 55)]
    assert lignes(page(client, "/candidatures/?tri=cp&ordre=asc&page=99")) == lignes(second)


def _count_statements(client, url: str) -> list[str]:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        page(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_list_query_count_does_not_grow_with_rows(client):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    for i in range(10):
        c = make_candidature(make_structure("38", nom=f"Petite {i}"), "validee" if i % 3 == 0 else "nouvelle")
        if i % 2:
            db.session.execute(Candidature.__table__.update().where(Candidature.id == c.id).values(avis="favorable"))
    db.session.commit()
    db.session.expire_all()
    ten = _count_statements(client, "/candidatures/")
    for i in range(50):
        make_candidature(make_structure("38", nom=f"Grande {i}"))
    db.session.expire_all()
    sixty = _count_statements(client, "/candidatures/")
    assert len(lignes(page(client, "/candidatures/"))) == 50
    assert len(sixty) == len(ten), "\n\n".join(sixty) + "\n=====\n" + "\n\n".join(ten)
    assert len(ten) <= 12, ten


# --- detail, scope --------------------------------------------------------------------------------

def test_detail_and_out_of_scope_is_404(client, monde):
    login(client, "prefet-38")
    voiron = monde["c"]["voiron"]
    html = page(client, f"/candidatures/{voiron.id}")
    assert "Mairie de Voiron" in html and "Date de candidature : le 19/09/2023" in html
    assert "Contact" in html and monde["s"]["voiron"].contact_email in html
    assert "Avis favorable" in html and "Historique" in html and "Candidature déposée" in html
    assert "Valider" not in html  # ANCT only
    page(client, f"/candidatures/{monde['c']['annecy'].id}", 404)
    page(client, f"/candidatures/{monde['c']['annecy'].id}/avis?avis=favorable", 404)
    page(client, f"/candidatures/{monde['c']['brouillon'].id}", 404)
    page(client, "/candidatures/999999", 404)
    token = csrf_token(page(client, f"/candidatures/{voiron.id}/avis?avis=favorable"))
    assert client.post(f"/candidatures/{monde['c']['annecy'].id}/avis",
                       data={"avis": "favorable", "commentaire": "x", "confirmer": "oui",
                             "csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Candidature, monde["c"]["annecy"].id).avis is None


def test_roles_without_permission_get_403(client, monde):
    login(client, "bdt")
    page(client, "/candidatures/", 403)
    page(client, f"/candidatures/{monde['c']['voiron'].id}", 403)
    client.get("/logout/")
    login(client, "structure-voiron")
    page(client, "/candidatures/", 403)
    page(client, "/contrats-coordinateur/", 403)


# --- avis through the page ------------------------------------------------------------------------

def test_avis_with_confirmation_step_and_csrf(client, monde):
    login(client, "prefet-38")
    voiron = monde["c"]["voiron"]
    confirm = page(client, f"/candidatures/{voiron.id}/avis?avis=favorable")
    assert "Souhaitez-vous confirmer l'avis <strong>favorable</strong> pour la structure" in confirm
    assert "Commentaire (max 250 caractères)" in confirm and 'maxlength="250"' in confirm
    data = {"avis": "favorable", "commentaire": "Projet cohérent avec la gouvernance", "confirmer": "oui"}

    assert client.post(f"/candidatures/{voiron.id}/avis", data=data).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert db.session.get(Candidature, voiron.id).avis is None

    without_confirmation = client.post(f"/candidatures/{voiron.id}/avis",
                                       data={**data, "confirmer": "", "csrf_token": csrf_token(confirm)})
    assert without_confirmation.status_code == 400
    empty = client.post(f"/candidatures/{voiron.id}/avis",
                        data={**data, "commentaire": "", "csrf_token": csrf_token(confirm)})
    assert empty.status_code == 400 and "Le commentaire est obligatoire" in empty.get_data(as_text=True)

    response = client.post(f"/candidatures/{voiron.id}/avis", data={**data, "csrf_token": csrf_token(confirm)})
    assert response.status_code == 302
    html = page(client, f"/candidatures/{voiron.id}")
    assert "est enregistré" in html and "Projet cohérent avec la gouvernance" in html
    db.session.expire_all()
    assert db.session.get(Candidature, voiron.id).avis == "favorable"

    again = client.post(f"/candidatures/{voiron.id}/avis",
                        data={"avis": "defavorable", "commentaire": "Non", "confirmer": "oui",
                              "csrf_token": csrf_token(confirm)})
    assert again.status_code == 409 and "déjà été donné" in again.get_data(as_text=True)
    page(client, f"/candidatures/{voiron.id}/avis?avis=defavorable", 409)


def test_prefet_de_region_gives_avis_on_its_departements(client, monde):
    login(client, "prefet-ara")
    annecy = monde["c"]["annecy"]
    confirm = page(client, f"/candidatures/{annecy.id}/avis?avis=defavorable")
    response = client.post(f"/candidatures/{annecy.id}/avis",
                           data={"avis": "defavorable", "commentaire": "Doublon", "confirmer": "oui",
                                 "csrf_token": csrf_token(confirm)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Candidature, annecy.id).avis == "defavorable"


# --- ANCT decision through the page ------------------------------------------------------------------

def test_anct_validates_from_the_detail(client, monde):
    login(client, "anct")
    voiron = monde["c"]["voiron"]
    html = page(client, f"/candidatures/{voiron.id}")
    assert "Valider" in html and "Refuser" in html
    confirm = page(client, f"/candidatures/{voiron.id}/decision?decision=validee")
    assert "Souhaitez-vous confirmer la <strong>validation</strong>" in confirm
    response = client.post(f"/candidatures/{voiron.id}/decision",
                           data={"decision": "validee", "commentaire": "", "confirmer": "oui",
                                 "csrf_token": csrf_token(confirm)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Candidature, voiron.id).statut == "validee"
    again = client.post(f"/candidatures/{voiron.id}/decision",
                        data={"decision": "refusee", "confirmer": "oui", "csrf_token": csrf_token(confirm)})
    assert again.status_code == 409 and "déjà été validée" in again.get_data(as_text=True)


def test_prefet_cannot_decide(client, monde):
    login(client, "prefet-38")
    page(client, f"/candidatures/{monde['c']['voiron'].id}/decision?decision=validee", 403)


# --- export ----------------------------------------------------------------------------------------

def test_export_applies_scope_and_filters_and_is_recorded(client, monde):
    login(client, "prefet-38")
    response = client.get("/candidatures/export?onglet=nouvelles&q=voiron")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.search(r'filename="candidatures_departement-38_\d{4}-\d{2}-\d{2}\.csv"',
                     response.headers["Content-Disposition"])
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    rows = [line.split(";") for line in text.strip().split("\r\n")]
    assert rows[0][:9] == ["N° de candidature", "ID structure", "Structure", "SIRET", "Code postal", "Département",
                           "Date de candidature", "Statut", "Avis du préfet"]
    assert len(rows) == 2 and rows[1][2] == "Mairie de Voiron" and rows[1][5] == "38"
    everything = client.get("/candidatures/export").get_data().decode("utf-8-sig")
    assert "MJC" not in everything and "Jura" not in everything and "CCAS de Grenoble" in everything
    logs = list(db.session.scalars(select(ExportLog).order_by(ExportLog.id)))
    assert [(log.export, log.scope) for log in logs] == [("candidatures", "departement-38")] * 2
    assert "q=voiron" in logs[0].filtres and "onglet=nouvelles" in logs[0].filtres


def test_export_neutralises_spreadsheet_formulas(client):
    make_candidature(make_structure("38", nom="=HYPERLINK(\"http://x\")"))
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    text = client.get("/candidatures/export").get_data().decode("utf-8-sig")
    assert ';"\'=HYPERLINK' in text


# --- structure pages -------------------------------------------------------------------------------

def test_structure_dashboard_explains_the_steps_and_shows_requests(client, monde):
    login(client, "structure-voiron")
    html = page(client, "/coordination/recrutement")
    assert "Recrutement d'un conseiller numérique coordinateur" in html
    for step in ("Compléter le formulaire de motivation", "Concertation territoriale : le préfet donne son avis",
                 "L'ANCT valide ou refuse la candidature", "Une notification vous est envoyée dès sa validation"):
        assert step in html
    assert "en cours d'instruction" in html  # its request is new
    assert "Nouvelle" in html


def test_banner_after_a_decision_until_closed(client, monde):
    voiron = monde["c"]["voiron"]
    workflow.decider(voiron, monde["u"]["anct"], "validee")
    login(client, "structure-voiron")
    html = page(client, "/coordination/recrutement")
    assert "a été validée le" in html and "Gérer mes postes" in html
    response = client.post(f"/coordination/recrutement/bandeau/{voiron.id}", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 302
    assert "a été validée le" not in page(client, "/coordination/recrutement")
    # Another structure's banner cannot be closed from here.
    other = monde["c"]["echirolles"]
    assert client.post(f"/coordination/recrutement/bandeau/{other.id}",
                       data={"csrf_token": csrf_token(html)}).status_code == 404


def test_refusal_banner_says_examined(client, monde):
    workflow.decider(monde["c"]["voiron"], monde["u"]["anct"], "refusee")
    login(client, "structure-voiron")
    assert "a été examinée" in page(client, "/coordination/recrutement")


def _en_poste(structure, **fields):
    conseiller = make_conseiller(structure, **fields)
    make_contrat(conseiller, structure, date_debut=date.today() - timedelta(days=30),
                 date_fin=date.today() + timedelta(days=300))
    return conseiller


def test_manage_posts_and_attribute_role(client, monde):
    voiron = monde["s"]["voiron"]
    workflow.decider(monde["c"]["voiron"], monde["u"]["anct"], "validee")
    conseiller = _en_poste(voiron, prenom="Léa", nom="Gislais")
    login(client, "structure-voiron")
    html = page(client, "/postes/")
    assert "postes disponibles : <strong>1</strong>" in html
    assert "Attribuer un rôle de coordinateur" in html and "Gislais Léa" in html
    response = client.post("/postes/attribuer", data={"conseiller_id": conseiller.id,
                                                      "csrf_token": csrf_token(html)})
    assert response.status_code == 302
    html = page(client, "/postes/")
    assert "est maintenant coordinateur" in html and "Occupé" in html
    assert "postes disponibles : <strong>0</strong>" in html
    second = _en_poste(voiron)
    token = csrf_token(page(client, "/postes/recruter"))
    refused = client.post("/postes/attribuer", data={"conseiller_id": second.id, "csrf_token": token})
    assert refused.status_code == 409 and "plus de poste de coordinateur disponible" in refused.get_data(as_text=True)


def test_recruit_with_upload_then_bdt_validates(client, monde, upload_dir):
    voiron = monde["s"]["voiron"]
    workflow.decider(monde["c"]["voiron"], monde["u"]["anct"], "validee")
    login(client, "structure-voiron")
    form = page(client, "/postes/recruter")
    assert "Salaire brut mensuel" in form and 'enctype="multipart/form-data"' in form
    data = {"csrf_token": csrf_token(form), "personne": "nouveau", "prenom": "Jean-Claude", "nom": "Dusse",
            "email": "jc.dusse@exemple.fr", "type_contrat": "cdi", "date_debut": "2024-01-02", "date_fin": "",
            "salaire": "1500"}
    low = client.post("/postes/recruter", data={**data, "documents": (io.BytesIO(PDF), "contrat.pdf")},
                      content_type="multipart/form-data")
    assert low.status_code == 400 and "ne peut pas être inférieur" in low.get_data(as_text=True)
    fake = client.post("/postes/recruter", data={**data, "salaire": "2000",
                                                 "documents": (io.BytesIO(b"<html>"), "contrat.pdf")},
                       content_type="multipart/form-data")
    assert fake.status_code == 400 and "n&#39;est pas un fichier PDF" in fake.get_data(as_text=True)
    ok = client.post("/postes/recruter", data={**data, "salaire": "2000",
                                               "documents": (io.BytesIO(PDF), "contrat signé.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302, ok.get_data(as_text=True)[:1000]
    contrat = db.session.scalar(select(Contrat).where(Contrat.statut == "en_attente_bdt"))
    postes = page(client, "/postes/")
    assert "Recrutement en cours" in postes and "contrat signé.pdf" in postes
    document_url = re.search(r'href="(/contrats-coordinateur/documents/\d+)"', postes).group(1)
    download = client.get(document_url)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    client.get("/logout/")

    # Other people: a préfet has no access, another structure does not see it.
    login(client, "prefet-38")
    assert client.get(document_url).status_code == 403
    client.get("/logout/")
    make_user(roles.STRUCTURE, "structure-autre", structure_id=monde["s"]["grenoble"].id)
    login(client, "structure-autre")
    assert client.get(document_url).status_code == 404
    client.get("/logout/")

    login(client, "bdt")
    liste = page(client, "/contrats-coordinateur/")
    assert "Mairie de Voiron" in liste and "À traiter (1)" in liste
    detail = page(client, f"/contrats-coordinateur/{contrat.id}")
    assert "contrat signé.pdf" in detail and "Sans (CDI)" in detail
    assert client.get(document_url).status_code == 200
    response = client.post(f"/contrats-coordinateur/{contrat.id}/traiter",
                           data={"decision": "valider", "csrf_token": csrf_token(detail)})
    assert response.status_code == 302
    db.session.expire_all()
    conseiller = db.session.scalar(select(Conseiller).where(Conseiller.email_pro == "jc.dusse@exemple.fr"))
    assert conseiller.est_coordinateur and conseiller.statut == "actif" and conseiller.structure_id == voiron.id
    again = client.post(f"/contrats-coordinateur/{contrat.id}/traiter",
                        data={"decision": "renvoyer", "motif": "x", "csrf_token": csrf_token(detail)})
    assert again.status_code == 409


def test_bdt_returns_with_reason_through_the_page(client, monde, upload_dir):
    voiron = monde["s"]["voiron"]
    workflow.decider(monde["c"]["voiron"], monde["u"]["anct"], "validee")
    user = monde["u"]["structure-voiron"]
    contrat = workflow.recruter(voiron, user, prenom="A", nom="B", email="ab@exemple.fr", type_contrat="pec",
                                date_debut="2024-01-01", date_fin="2024-12-31", salaire="1800",
                                documents=[workflow.Document("c.pdf", io.BytesIO(PDF))])
    login(client, "bdt")
    detail = page(client, f"/contrats-coordinateur/{contrat.id}")
    no_reason = client.post(f"/contrats-coordinateur/{contrat.id}/traiter",
                            data={"decision": "renvoyer", "motif": "", "csrf_token": csrf_token(detail)})
    assert no_reason.status_code == 400 and "obligatoire" in no_reason.get_data(as_text=True)
    ok = client.post(f"/contrats-coordinateur/{contrat.id}/traiter",
                     data={"decision": "renvoyer", "motif": "RIB manquant", "csrf_token": csrf_token(detail)})
    assert ok.status_code == 302
    client.get("/logout/")
    login(client, "structure-voiron")
    html = page(client, "/postes/")
    assert "Renvoyé à la structure" in html and "RIB manquant" in html and "À pourvoir" in html


def test_anct_opens_a_structure_page_by_id(client, monde):
    login(client, "anct")
    assert "Identifiant de la structure" in page(client, "/postes/")
    assert "Gérer mes postes" in page(client, f"/postes/?structure={monde['s']['annecy'].id}")
    page(client, "/postes/?structure=999999", 404)


def test_structure_sees_only_its_own_pages(client, monde):
    login(client, "structure-voiron")
    html = page(client, "/postes/")
    assert "Mairie de Voiron" in html
    # ?structure= is ignored for a structure account: always its own.
    assert "Mairie de Voiron" in page(client, f"/postes/?structure={monde['s']['annecy'].id}")
    token = csrf_token(page(client, "/postes/recruter"))
    assert client.post(f"/postes/{monde['c']['echirolles'].id}/rendre",
                       data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(select(func.count(Candidature.id)).where(Candidature.poste == "rendu")) == 0


def test_landing_page_links_by_role(client, monde):
    login(client, "prefet-38")
    accueil = page(client, "/")
    assert "Demandes de coordinateur à traiter" in accueil and "Gérer mes postes" not in accueil
    client.get("/logout/")
    login(client, "structure-voiron")
    accueil = page(client, "/")
    assert "Recrutement d&#39;un coordinateur" in accueil or "Recrutement d'un coordinateur" in accueil
    assert "Gérer mes postes de coordinateur" in accueil and "Demandes de coordinateur" not in accueil
    client.get("/logout/")
    login(client, "bdt")
    assert "Contrats de coordinateur à traiter" in page(client, "/")
