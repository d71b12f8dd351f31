"""ANCT-managed content: audiences and publication state on every page and API, document uploads with
versions, downloads limited to the allowed audience, « Aide » with its search and support channels."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.contenus import stockage
from app.contenus.models import Actualite, Document, DocumentVersion, FaqEntree, Page
from app.contenus.pdf import pdf_minimal
from app.extensions import db
from app.security import roles
from tests.conftest import api_token, csrf_token, login
from tests.factories import make_structure, make_user

HIER = datetime.now(UTC) - timedelta(days=1)
DEMAIN = datetime.now(UTC) + timedelta(days=1)


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = previous


def _publier(obj, audiences, statut="publie", publie_le=HIER):
    obj.statut, obj.publie_le = statut, publie_le
    obj.audiences = audiences
    db.session.add(obj)
    db.session.commit()
    return obj


def _document(titre, audiences, **kwargs) -> Document:
    document = Document(titre=titre, categorie=kwargs.pop("categorie", "contrat_type"), description="")
    stockage.ajouter_version(document, f"{titre}.pdf", pdf_minimal(titre, ["Démonstration"]))
    return _publier(document, audiences, **kwargs)


def _utilisateurs():
    structure = make_structure("38", nom="Mairie de Voiron")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.STRUCTURE, "structure-38", structure_id=structure.id)
    make_user(roles.ANCT, "anct")


def test_structure_downloads_the_contract_template(client, uploads):
    _utilisateurs()
    contrat = _document("Contrat type", ["prefet", "structure"])
    circulaire = _document("Circulaire préfets", ["prefet"], categorie="circulaire")
    login(client, "structure-38")
    page = client.get("/contenus/documents/").get_data(as_text=True)
    assert "Contrat type" in page and "Circulaire préfets" not in page
    response = client.get(f"/contenus/documents/{contrat.id}/fichier")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"%PDF-1.4") and response.data.rstrip().endswith(b"%%EOF")
    assert client.get(f"/contenus/documents/{circulaire.id}/fichier").status_code == 404
    # earlier versions: ANCT only
    assert client.get(f"/contenus/documents/{contrat.id}/versions/1").status_code in (302, 403)
    # files live outside the web root, under UPLOAD_DIR, under a random name
    version = contrat.version_courante
    assert (uploads / "contenus" / version.fichier).is_file() and "Contrat" not in version.fichier
    assert client.get(f"/static/../{version.fichier}").status_code == 404


@pytest.mark.parametrize("etat", ["brouillon", "futur", "autre_public"])
def test_unpublished_content_never_shows(client, etat):
    _utilisateurs()
    statut, publie_le, audiences = {"brouillon": ("brouillon", HIER, ["prefet"]),
                                    "futur": ("publie", DEMAIN, ["prefet"]),
                                    "autre_public": ("publie", HIER, ["conseiller"])}[etat]
    page = _publier(Page(slug="cachee", titre="Page CACHEE", corps="<p>CACHEE</p>"), audiences, statut, publie_le)
    document = _document("Document CACHE", audiences, statut=statut, publie_le=publie_le)
    _publier(FaqEntree(theme="fne", question="Question CACHEE ?", reponse="<p>CACHEE</p>"), audiences, statut,
             publie_le)
    actualite = _publier(Actualite(titre="Actualité CACHEE", corps="CACHEE"), audiences, statut, publie_le)

    login(client, "prefet-38")
    for url in ("/contenus/documents/", "/contenus/actualites/", "/aide/", "/aide/?q=cachee"):
        body = client.get(url).get_data(as_text=True)
        assert "CACHE" not in body, url
    for url in (f"/contenus/pages/{page.slug}", f"/contenus/documents/{document.id}/fichier",
                f"/contenus/actualites/{actualite.id}"):
        assert client.get(url).status_code == 404, url
    client.get("/logout/")
    headers = api_token(client, "prefet-38")
    for ressource in ("page", "document", "faq", "actualite"):
        listing = client.get(f"/api/v1/{ressource}/", headers=headers)
        assert listing.status_code == 200 and listing.json["count"] == 0, ressource
    for ressource, obj in (("page", page), ("document", document), ("actualite", actualite)):
        assert client.get(f"/api/v1/{ressource}/{obj.id}", headers=headers).status_code == 404


def test_published_content_shows_to_its_audience(client):
    _utilisateurs()
    page = _publier(Page(slug="missions-coordinateur", titre="Missions des coordinateurs",
                         corps="<h2>Animer</h2><script>alert(1)</script><p onclick='x()'>Texte</p>"), ["prefet"])
    _publier(Actualite(titre="AMI Hubs : lauréats le 9 octobre 2023", resume="Notification"), ["prefet"])
    login(client, "prefet-38")
    body = client.get(f"/contenus/pages/{page.slug}").get_data(as_text=True)
    assert "Missions des coordinateurs" in body and "<h2>Animer</h2>" in body
    assert "<script>alert" not in body and "onclick" not in body
    assert "AMI Hubs" in client.get("/contenus/actualites/").get_data(as_text=True)
    client.get("/logout/")
    login(client, "structure-38")
    assert client.get(f"/contenus/pages/{page.slug}").status_code == 404


def test_api_gives_public_content_to_anonymous_callers_and_more_with_a_token(app, client):
    _utilisateurs()
    _publier(FaqEntree(theme="fne", question="Question publique ?", reponse="<p>Oui</p>", ordre=1), ["public"])
    _publier(FaqEntree(theme="fne", question="Question des préfets ?", reponse="<p>Oui</p>", ordre=2), ["prefet"])
    document = _document("Kit de communication", ["public"], categorie="kit_communication")
    anonyme = client.get("/api/v1/faq/")
    assert anonyme.status_code == 200
    assert [r["question"] for r in anonyme.json["result"]] == ["Question publique ?"]
    documents = client.get("/api/v1/document/").json["result"]
    assert documents[0]["fichier"]["url"].endswith(f"/contenus/documents/{document.id}/fichier")
    assert documents[0]["fichier"]["type"] == "application/pdf" and documents[0]["fichier"]["version"] == 1
    assert client.get(f"/contenus/documents/{document.id}/fichier").status_code == 200  # public: no login
    with app.app_context():
        headers = api_token(client, "prefet-38")
        prefet = client.get("/api/v1/faq/", headers=headers)
    assert [r["question"] for r in prefet.json["result"]] == ["Question publique ?", "Question des préfets ?"]
    with app.app_context():
        invalide = client.get("/api/v1/faq/", headers={"Authorization": "Bearer jeton-invalide"})
    assert invalide.status_code == 401
    assert client.post("/api/v1/faq/", json={"question": "x"}).status_code in (401, 403, 404, 405)


def test_aide_shows_faq_search_and_configurable_support_channels(app, client):
    _publier(FaqEntree(theme="aac_coordinateur", question="Jusqu’à quand donner un avis ?",
                       reponse="<p>Avant le 30 décembre 2023.</p>"), ["public"])
    _publier(FaqEntree(theme="fne", question="Quand remonter les gouvernances ?",
                       reponse="<p>Avant le 15 octobre.</p>"), ["public"])
    previous = app.config["SUPPORT_EMAIL"]
    app.config["SUPPORT_EMAIL"] = "support-test@exemple.fr"
    try:
        body = client.get("/aide/").get_data(as_text=True)
    finally:
        app.config["SUPPORT_EMAIL"] = previous
    assert "support-test@exemple.fr" in body and app.config["SOCIETE_NUMERIQUE_EMAIL"] in body
    assert "Préfectures FNE échanges" in body
    assert "Jusqu’à quand donner un avis ?" in body and "Quand remonter" in body
    body = client.get("/aide/?q=decembre").get_data(as_text=True)  # accents and case ignored
    assert "Jusqu’à quand donner un avis ?" in body and "Quand remonter" not in body
    assert "1 question pour" in body


def test_every_page_links_to_aide(client):
    _utilisateurs()
    login(client, "prefet-38")
    for url in ("/", "/statistiques/", "/structures/list/"):
        assert 'href="/aide/"' in client.get(url).get_data(as_text=True), url


def _formulaire(client, url):
    return csrf_token(client.get(url).get_data(as_text=True))


def test_anct_uploads_documents_and_keeps_versions(client, uploads):
    from io import BytesIO

    _utilisateurs()
    login(client, "anct")
    data = {"csrf_token": _formulaire(client, "/admin/contenus/documents/add"), "titre": "Contrat type",
            "categorie": "contrat_type", "description": "Modèle", "statut": "publie",
            "audiences": ["prefet", "structure"], "publie_le": "2023-09-01T09:00",
            "fichier_envoye": (BytesIO(pdf_minimal("Contrat v1", ["un"])), "contrat v1.pdf")}
    response = client.post("/admin/contenus/documents/add", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    document = db.session.scalars(select(Document)).one()
    assert document.publie_le == datetime(2023, 9, 1, 7, 0, tzinfo=UTC)  # Paris time, stored in UTC
    assert document.audiences == ["prefet", "structure"] and document.version_courante.numero == 1

    data = {"csrf_token": _formulaire(client, f"/admin/contenus/documents/edit/{document.id}"),
            "titre": "Contrat type", "categorie": "contrat_type", "description": "Modèle 2024", "statut": "publie",
            "audiences": ["prefet", "structure"], "publie_le": "2023-09-01T09:00",
            "fichier_envoye": (BytesIO(pdf_minimal("Contrat v2", ["deux"])), "contrat v2.pdf")}
    response = client.post(f"/admin/contenus/documents/edit/{document.id}", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.numero)).all()
    assert [v.numero for v in versions] == [1, 2]
    assert b"Contrat v2" in client.get(f"/contenus/documents/{document.id}/fichier").data
    assert b"Contrat v1" in client.get(f"/contenus/documents/{document.id}/versions/1").data
    assert "Version 1" in client.get(f"/admin/contenus/documents/show/{document.id}").get_data(as_text=True)


@pytest.mark.parametrize("nom,contenu,message", [
    ("script.exe", b"MZ\x90\x00", "Format non accepté"),
    ("faux.pdf", b"<html>pas un pdf</html>", "ne correspond pas à un fichier PDF"),
    ("gros.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "taille maximale de 1 Mo"),
])
def test_upload_type_and_size_limits(app, client, nom, contenu, message):
    from io import BytesIO

    _utilisateurs()
    app.config["CONTENUS_DOCUMENT_TAILLE_MAX"] = 1024 * 1024
    try:
        login(client, "anct")
        data = {"csrf_token": _formulaire(client, "/admin/contenus/documents/add"), "titre": "Refusé",
                "categorie": "autre", "statut": "publie", "audiences": ["public"],
                "fichier_envoye": (BytesIO(contenu), nom)}
        response = client.post("/admin/contenus/documents/add", data=data, content_type="multipart/form-data")
    finally:
        app.config.pop("CONTENUS_DOCUMENT_TAILLE_MAX")
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0


def test_admin_screens_are_anct_only(client):
    _utilisateurs()
    login(client, "prefet-38")
    for url in ("/admin/contenus/pages/list/", "/admin/contenus/documents/add", "/admin/contenus/faq/list/",
                "/admin/contenus/actualites/list/", "/coordination/perimetres/list/"):
        assert client.get(url).status_code in (302, 403), url


def test_demo_content(app, client):
    from app.demo import demo_password, seed

    seed()
    assert db.session.scalar(select(func.count()).select_from(Page).where(Page.statut == "publie")) >= 3
    login(client, "prefet-38", demo_password())
    for slug in ("missions-coordinateur", "offre-de-formation", "certifications-pix-ccp1-remn"):
        assert client.get(f"/contenus/pages/{slug}").status_code == 200, slug
    page = client.get("/contenus/documents/").get_data(as_text=True)
    assert "Contrat type" in page and "brouillon" not in page.lower()
    contrat = db.session.scalars(select(Document).where(Document.categorie == "contrat_type")).one()
    client.get("/logout/")
    from app.models import Utilisateur

    compte = db.session.scalars(select(Utilisateur.username).where(Utilisateur.username.like("structure-%"))).first()
    login(client, compte, demo_password())
    response = client.get(f"/contenus/documents/{contrat.id}/fichier")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "AMI Hubs" in client.get("/contenus/actualites/").get_data(as_text=True)
    assert "Annonce programmée" not in client.get("/contenus/actualites/").get_data(as_text=True)
