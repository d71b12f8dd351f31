"""Immutable versions: loading, publishing with a diff (admin), answers pinned to their version, export."""

import csv
import io
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from app.extensions import db
from app.formulaires import service
from app.formulaires.definition import FORMS_DIR
from app.formulaires.diff import diff
from app.formulaires.models import FormVersion, Soumission, VersionImmuable
from app.security import roles
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.formulaires_helpers import chemin, definition, nouveau, ouvrir, poster, publier, recharger
from tests.test_formulaires_remplir import MOTIVATION_VALIDE


@pytest.fixture(autouse=True)
def sans_abonnes():
    saved = {k: list(v) for k, v in service._ON_SUBMIT.items()}
    service._ON_SUBMIT.clear()
    yield
    service._ON_SUBMIT.update(saved)


@pytest.fixture
def anct(client):
    make_user(roles.ANCT, "anct-formulaires")
    login(client, "anct-formulaires")
    return client


def motivation_v2_text() -> str:
    """Version 2 of the motivation form: one question relabelled, one removed, one added, a rule changed."""
    defn = yaml.safe_load((FORMS_DIR / "motivation-coordinateur.yaml").read_text(encoding="utf-8"))
    section = next(s for s in defn["sections"] if s["key"] == "coordination")
    section["fields"] = [f for f in section["fields"] if f["key"] != "positionnement_coordinateur"]
    section["fields"][0]["label"] = "Coordonnez-vous déjà la médiation numérique de votre territoire ?"
    section["fields"].append({"key": "budget", "type": "decimal", "label": "Budget annuel prévu (€)", "min": 0})
    strategie = next(s for s in defn["sections"] if s["key"] == "strategie")
    strategie["fields"][0]["max_length"] = 1500
    return yaml.safe_dump(defn, allow_unicode=True, sort_keys=False)


# --- loading -------------------------------------------------------------------------------------------

def test_cli_load_is_idempotent_and_versions_changed_files(app, tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    for path in FORMS_DIR.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["formulaires", "load", "--dir", str(folder)])
    assert first.exit_code == 0, first.output
    assert "motivation-coordinateur : version 1 publiée" in first.output
    second = runner.invoke(args=["formulaires", "load", "--dir", str(folder)])
    assert second.output.count("inchangé") == 3
    (folder / "motivation-coordinateur.yaml").write_text(motivation_v2_text(), encoding="utf-8")
    third = runner.invoke(args=["formulaires", "load", "--dir", str(folder)])
    assert "motivation-coordinateur : version 2 publiée" in third.output
    assert [v.version for v in service.versions("motivation-coordinateur")] == [1, 2]
    assert service.current_version("motivation-coordinateur").definition["version"] == 2
    (folder / "cassé.yaml").write_text("id: casse\ntitle: T\nsections: []\n", encoding="utf-8")
    broken = runner.invoke(args=["formulaires", "load", "--dir", str(folder)])
    assert broken.exit_code == 1 and "cassé.yaml : refusé" in broken.output
    assert db.session.scalar(select(func.count()).select_from(FormVersion)) == 4


def test_a_comment_or_reordered_keys_do_not_make_a_version():
    text = (FORMS_DIR / "gouvernance-pressentie.yaml").read_text(encoding="utf-8")
    assert service.publier(text, par="test").version == 1
    assert service.publier("# un commentaire\n" + text, par="test") is None
    assert service.publier(text.replace("id: gouvernance-pressentie", "id: gouvernance-pressentie\nversion: 7"),
                           par="test") is None  # the file's version number is informative only


def test_versions_are_immutable():
    row = service.current_version("gouvernance-pressentie")
    db.session.commit()
    row.definition = {**row.definition, "title": "Autre"}
    with pytest.raises(VersionImmuable):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(VersionImmuable):
        db.session.delete(db.session.get(FormVersion, row.id))
        db.session.commit()
    db.session.rollback()


def test_publishing_refuses_a_definition_with_errors():
    with pytest.raises(service.DefinitionRefusee) as refused:
        service.publier(yaml.safe_dump(definition([{"key": "x", "type": "adresse", "label": "X"}])), par="test")
    assert "type inconnu « adresse »" in str(refused.value.problemes[0])
    assert db.session.scalar(select(func.count()).select_from(FormVersion)) == 0


# --- pinned answers -----------------------------------------------------------------------------------

def test_answer_stays_readable_under_its_version_after_a_new_one(client, anct):
    soumission = nouveau("motivation-coordinateur", objet_type="candidature", objet_id=1)
    assert poster(client, chemin(soumission), MOTIVATION_VALIDE).status_code == 302
    draft = nouveau("motivation-coordinateur", objet_type="candidature", objet_id=2)
    service.publier(motivation_v2_text(), par="test")

    items = {i["key"]: i for i in service.answers_for_display(recharger(soumission))}
    assert items["coordination_existante"]["label"] == ("Opérez-vous déjà une action de coordination sur les "
                                                        "actions de médiation numérique de votre territoire ?")
    assert items["positionnement_coordinateur"]["value_text"] == "Rattaché à la DGS."  # removed in v2, still shown
    assert "budget" not in items
    page = anct.get(f"/formulaires/admin/soumission/{soumission.id}").get_data(as_text=True)
    assert "Opérez-vous déjà une action de coordination" in page and "la version en ligne est la 2" in page

    assert recharger(draft).version == 1  # a draft stays on the version it was started on
    fresh = nouveau("motivation-coordinateur", objet_type="candidature", objet_id=3)
    assert fresh.version == 2
    _, html = ouvrir(client, chemin(fresh))
    assert "Coordonnez-vous déjà la médiation numérique" in html and "Budget annuel prévu" in html


def test_diff_lists_what_changes():
    old = yaml.safe_load((FORMS_DIR / "motivation-coordinateur.yaml").read_text(encoding="utf-8"))
    texts = [c.texte for c in diff(old, yaml.safe_load(motivation_v2_text()))]
    assert any(t.startswith("Champ ajouté « budget » (decimal) : « Budget annuel prévu (€) »") for t in texts)
    assert any(t.startswith("Champ retiré « positionnement_coordinateur »") for t in texts)
    assert any("Champ « coordination_existante » : libellé « Opérez-vous" in t for t in texts)
    assert "Champ « strategie_inclusion » : longueur maximale « 3000 » → « 1500 »" in texts
    choices = dict(old, sections=old["sections"])
    field = choices["sections"][1]["fields"][1]
    new = yaml.safe_load(yaml.safe_dump(old))
    new["sections"][1]["fields"][1]["choices"][2]["label"] = "Jamais"
    new["sections"][1]["fields"][1]["required"] = False
    new["sections"][2]["fields"][1]["visible_if"] = {"equals": {"field": "coordination_existante", "value": "non"}}
    new["closes_at"] = "2024-01-15T23:59"
    texts = [c.texte for c in diff(old, new)]
    assert f"Champ « {field['key']} » : choix « jamais » renommé « {field['choices'][2]['label']} » → « Jamais »" in texts
    assert f"Champ « {field['key']} » : obligatoire « oui » → « (aucun) »" not in texts
    assert f"Champ « {field['key']} » : obligatoire « oui » → « non »" in texts
    assert any(t.startswith("Champ « structures_collaboration » : condition d'affichage") for t in texts)
    assert "Date limite : « 2023-12-10T23:59 » → « 2024-01-15T23:59 »" in texts


# --- admin ----------------------------------------------------------------------------------------------

def test_admin_publishes_version_2_after_seeing_the_diff(anct):
    service.current_version("motivation-coordinateur")
    db.session.commit()
    page = anct.get("/formulaires/admin/publier/?form_id=motivation-coordinateur")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "id: motivation-coordinateur" in html
    token = csrf_token(html)
    preview = anct.post("/formulaires/admin/publier/", data={
        "csrf_token": token, "form_id": "motivation-coordinateur", "texte": motivation_v2_text()})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Changements par rapport à la version 1 en ligne" in html
    assert "Champ ajouté « budget »" in html and "Champ retiré « positionnement_coordinateur »" in html
    assert "Confirmer la publication de la version 2" in html
    assert len(service.versions("motivation-coordinateur")) == 1  # nothing published yet
    confirm = anct.post("/formulaires/admin/publier/", data={
        "csrf_token": token, "form_id": "motivation-coordinateur", "texte": motivation_v2_text(),
        "base_version": "1", "confirmer": "1"})
    assert confirm.status_code == 302
    current = service.current_version("motivation-coordinateur")
    assert current.version == 2 and current.published_by.endswith("(anct-formulaires)")
    assert "# Formulaire de motivation" not in current.source  # the text as published in the admin
    # The same confirmation posted again (stale page) publishes nothing.
    again = anct.post("/formulaires/admin/publier/", data={
        "csrf_token": token, "form_id": "motivation-coordinateur", "texte": motivation_v2_text() + "\n# x",
        "base_version": "1", "confirmer": "1"})
    assert again.status_code == 422 and "a été publiée entre-temps" in again.get_data(as_text=True)
    assert len(service.versions("motivation-coordinateur")) == 2


def test_admin_sees_errors_and_nothing_is_published(anct):
    service.current_version("motivation-coordinateur")
    db.session.commit()
    token = csrf_token(anct.get("/formulaires/admin/publier/").get_data(as_text=True))
    broken = motivation_v2_text().replace("type: decimal", "type: monnaie")
    for data in ({"texte": broken}, {"texte": broken, "confirmer": "1", "base_version": "1"},
                 {"texte": "id: [non fermé"},
                 {"texte": "", "fichier": (io.BytesIO(broken.encode("utf-8")), "motivation.yaml")}):
        response = anct.post("/formulaires/admin/publier/", data={"csrf_token": token,
                                                                  "form_id": "motivation-coordinateur", **data},
                             content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, html[:2000]
        assert "La définition est refusée : rien n'a été publié" in html
    assert "type inconnu « monnaie »" in html
    renamed = motivation_v2_text().replace("id: motivation-coordinateur", "id: autre-formulaire")
    response = anct.post("/formulaires/admin/publier/", data={"csrf_token": token, "form_id": "motivation-coordinateur",
                                                              "texte": renamed})
    assert response.status_code == 422 and "ne correspond pas au formulaire" in response.get_data(as_text=True)
    assert len(service.versions("motivation-coordinateur")) == 1


def test_admin_lists_forms_and_previews_any_version(anct):
    listing = anct.get("/formulaires/admin/")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert 'href="/formulaires/admin/"' in html  # menu Administration → Formulaires
    for title in ("Conseiller numérique Coordinateur", "Gouvernance pressentie",
                  "Candidater pour un poste de conseiller numérique coordinateur"):
        assert title in html
    service.publier(motivation_v2_text(), par="test")
    v1 = anct.get("/formulaires/admin/motivation-coordinateur/v1/apercu").get_data(as_text=True)
    v2 = anct.get("/formulaires/admin/motivation-coordinateur/v2/apercu").get_data(as_text=True)
    assert "Aperçu de la version 1" in v1 and "Comment le coordinateur sera-t-il positionné" in v1
    assert "Aperçu de la version 2" in v2 and "Comment le coordinateur sera-t-il positionné" not in v2
    checked = anct.post("/formulaires/admin/motivation-coordinateur/v1/apercu",
                        data={"csrf_token": csrf_token(v1), "action": "deposer", "structure_siret": "123"})
    assert checked.status_code == 422 and "Le SIRET compte 14 chiffres" in checked.get_data(as_text=True)
    valid = anct.post("/formulaires/admin/motivation-coordinateur/v1/apercu",
                      data={**MOTIVATION_VALIDE, "csrf_token": csrf_token(v1), "action": "deposer"})
    assert valid.status_code == 200 and "Rien n&#39;a été enregistré" in valid.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Soumission)) == 0
    source = anct.get("/formulaires/admin/motivation-coordinateur/v1/definition")
    assert source.status_code == 200 and "closes_at" in source.get_data(as_text=True)
    detail = anct.get("/formulaires/admin/motivation-coordinateur/").get_data(as_text=True)
    assert "Date limite effective" in detail and "FORMULAIRES_CALENDRIER" in detail


def test_admin_screens_are_for_anct_only(client):
    assert client.get("/formulaires/admin/").status_code == 302  # to the login page
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38-formulaires", departement_code="38")
    login(client, "prefet-38-formulaires")
    assert client.get("/formulaires/admin/").status_code == 403
    assert client.get("/formulaires/admin/motivation-coordinateur/export.csv").status_code == 403


def test_csv_export_has_one_column_per_key_of_every_version(client, anct):
    first = nouveau("motivation-coordinateur", objet_type="candidature", objet_id=1)
    hostile = {**MOTIVATION_VALIDE, "strategie_inclusion": '=HYPERLINK("http://x";"clic")',
               "contact_email": "premier@exemple.fr"}
    assert poster(client, chemin(first), hostile).status_code == 302
    service.publier(motivation_v2_text(), par="test")
    second = nouveau("motivation-coordinateur", objet_type="candidature", objet_id=2)
    second_answers = {k: v for k, v in MOTIVATION_VALIDE.items() if k != "positionnement_coordinateur"}
    assert poster(client, chemin(second), {**second_answers, "budget": "12 500,50",
                                           "contact_email": "second@exemple.fr"}).status_code == 302
    nouveau("motivation-coordinateur", objet_type="candidature", objet_id=3)  # a draft: not exported

    response = anct.get("/formulaires/admin/motivation-coordinateur/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "reponses_motivation-coordinateur_" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    header = rows[0]
    assert header[:7] == ["N° de réponse", "Version", "Statut", "Déposée le", "Dernière modification", "Répondant",
                          "Objet"]
    assert "budget" in header and "positionnement_coordinateur" in header and "strategie_inclusion" in header
    assert len(rows) == 3
    v1, v2 = (dict(zip(header, row, strict=True)) for row in rows[1:])
    assert (v1["Version"], v2["Version"]) == ("1", "2")
    assert v1["Répondant"] == "premier@exemple.fr" and v1["Objet"] == "candidature 1"
    assert v1["positionnement_coordinateur"] == "Rattaché à la DGS." and v1["budget"] == ""
    assert v2["budget"] == "12500,5" and v2["positionnement_coordinateur"] == ""
    assert v1["coordination_existante"] == "Oui" and v1["dispositif_conseiller_numerique"].startswith("Ma structure n")
    assert v1["strategie_inclusion"].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    assert "à" in v1["Déposée le"]
    with_drafts = anct.get("/formulaires/admin/motivation-coordinateur/export.csv?brouillons=1")
    assert len(list(csv.reader(io.StringIO(with_drafts.data.decode("utf-8")[1:]), delimiter=";"))) == 4


def test_published_version_1_is_the_shipped_text():
    row = publier(definition([{"key": "q", "type": "text", "label": "Q"}]))
    assert row.version == 1 and row.definition["version"] == 1 and row.empreinte
    assert recharger  # helpers imported for the other tests
