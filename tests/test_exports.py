"""CSV exports: what Excel needs, the user's scope and filters, a journal entry, no formula injection."""

from sqlalchemy import select

from app.extensions import db
from app.models import ExportLog
from app.security import roles
from tests.conftest import api_token, login
from tests.factories import make_structure, make_user


def test_structures_export_for_excel_scoped_filtered_and_recorded(client):
    make_structure("38", nom="=HYPERLINK(\"http://x\")", siret="22380001200013")
    make_structure("38", nom="Mairie de Voiron")
    make_structure("74", nom="Mairie de Cluses")
    user = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")

    response = client.get("/structures/export/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="structures_departement-38_' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    text = body.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0].startswith("ID;Nom;Type;SIRET")
    assert "Mairie de Voiron" in text and "Cluses" not in text
    assert "'=HYPERLINK" in text  # a name typed as a formula stays text

    filtered = client.get("/structures/export/?_flt_2_nom=Voiron").get_data().decode("utf-8-sig")
    assert "Mairie de Voiron" in filtered and "HYPERLINK" not in filtered

    journal = db.session.scalars(select(ExportLog).order_by(ExportLog.id)).all()
    assert [(e.user_id, e.export, e.scope) for e in journal] == [(user.id, "structures", "departement-38")] * 2


def test_api_writes_need_a_token_not_just_the_browser_session(client):
    structure = make_structure("38", nom="Mairie de Voiron")
    make_user(roles.ANCT, "admin")
    login(client, "admin")
    assert client.get(f"/api/v1/structure/{structure.id}").status_code == 200  # the session reads
    assert client.put(f"/api/v1/structure/{structure.id}", json={"nom": "Piratée"}).status_code == 401
    headers = api_token(client, "admin")
    assert client.put(f"/api/v1/structure/{structure.id}", json={"nom": "Renommée"}, headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(type(structure), structure.id).nom == "Renommée"
