"""Département dashboard: figures aggregated in SQL with their source and date; lieux de médiation import."""

from pathlib import Path

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.gouvernances import lieux
from app.gouvernances import tableau_de_bord as tdb
from app.gouvernances.models import LieuImport, LieuMediation
from app.security import roles
from tests.conftest import login
from tests.factories import make_conseiller, make_structure, make_user
from tests.gouvernances_fixtures import commune_participe, epci_porte, ouvrir

ECHANTILLON = Path(__file__).parent / "data" / "lieux_mediation.csv"


def test_lieux_import_reads_the_data_inclusion_schema_and_reports_bad_lines(app):
    result = app.test_cli_runner().invoke(args=["lieux", "import", str(ECHANTILLON)])
    assert result.exit_code == 0, result.output
    assert "5 lieu(x) importé(s) sur 8 ligne(s), 3 ligne(s) ignorée(s)" in result.output
    assert "ligne 7 : « id » et « nom » sont obligatoires" in result.output
    assert "ligne 8 : latitude ou longitude invalide" in result.output
    assert "ligne 9 : identifiant « mednum-001 » déjà présent plus haut" in result.output
    par_id = {lieu.id: lieu for lieu in db.session.scalars(select(LieuMediation))}
    grenoble = par_id["mednum-001"]
    assert (grenoble.departement_code, grenoble.siret, grenoble.france_services, grenoble.aidants_connect) == \
        ("38", "21380185500015", True, True)
    assert grenoble.services == "aide-aux-demarches-administratives|maitrise-des-outils-numeriques"
    assert par_id["mednum-003"].aidants_connect and not par_id["mednum-003"].france_services
    assert par_id["mednum-004"].france_services and par_id["mednum-004"].departement_code == "75"
    assert par_id["mednum-005"].departement_code == "26"  # from the postal code
    assert str(par_id["mednum-002"].date_maj) == "2023-09-15"
    # A new import replaces everything, and is recorded.
    app.test_cli_runner().invoke(args=["lieux", "import", str(ECHANTILLON)])
    assert len(db.session.scalars(select(LieuMediation)).all()) == 5
    assert [i.importes for i in db.session.scalars(select(LieuImport))] == [5, 5]


def test_lieux_import_refuses_a_file_without_the_required_columns(tmp_path, app):
    fichier = tmp_path / "autre.csv"
    fichier.write_text("nom;ville\nA;B\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["lieux", "import", str(fichier)])
    assert result.exit_code != 0 and "Colonnes obligatoires absentes : id" in result.output


def _chiffres(tableau) -> dict:
    return {c.id: c for c in tableau.chiffres}


def test_dashboard_figures_with_source_and_date():
    ouvrir()
    isere = make_structure("38", type="commune", statut="validee")
    asso = make_structure("38", type="privee", statut="candidate")
    make_structure("74", type="commune")
    make_conseiller(isere)
    make_conseiller(asso, est_coordinateur=True)
    make_conseiller(isere, statut="inactif")
    commune_participe("38421")
    epci_porte()
    lieux.importer(ECHANTILLON)
    tableau = tdb.construire("38", "Isère")
    chiffres = _chiffres(tableau)
    assert (chiffres["conseillers"].valeur, chiffres["coordinateurs"].valeur) == (2, 1)
    assert chiffres["structures"].valeur == 2
    assert chiffres["population"].valeur == 158240 + 38425 and chiffres["communes"].valeur == 2
    assert (chiffres["lieux"].valeur, chiffres["france-services"].valeur, chiffres["aidants-connect"].valeur) == (2, 1, 1)
    assert chiffres["participations"].valeur == 2 and chiffres["gouvernances"].valeur == 0
    for chiffre in tableau.chiffres:
        assert chiffre.source, chiffre.id
    assert chiffres["lieux"].date is not None and "data.inclusion" in chiffres["lieux"].source
    assert "28/09/2023" in chiffres["lieux"].source  # the freshest date_maj of the file
    series = {s.id: s for s in tableau.series}
    assert dict(series["structures-type"].lignes) == {"Commune": 1,
                                                      "Structure privée (association, entreprise de l'ESS, fondation)": 1}
    assert dict(series["structures-statut"].lignes) == {"Dans le dispositif": 1, "Candidate": 1}
    assert dict(series["participations"].lignes) == {"EPCI": 1, "Commune": 1}
    national = _chiffres(tdb.construire(None, "National"))
    assert national["structures"].valeur == 3 and national["lieux"].valeur == 5


def test_dashboard_counts_coordinator_requests_by_state_and_avis():
    candidatures = pytest.importorskip("app.candidatures.models")
    structure = make_structure("38")
    autre = make_structure("38")
    db.session.add_all([candidatures.Candidature(structure_id=structure.id, statut="nouvelle", avis="favorable"),
                        candidatures.Candidature(structure_id=autre.id, statut="validee", avis="defavorable")])
    db.session.commit()
    [serie] = [s for s in tdb.construire("38", "Isère").series if s.id == "candidatures"]
    assert dict(serie.lignes) == {"Nouvelle": 1, "Validée": 1}
    detail = dict(serie.detail)
    assert detail["Nouvelle"] == [0, 1, 0] and detail["Validée"] == [0, 0, 1]
    assert serie.colonnes_detail == ["Sans avis", "Avis favorable", "Avis défavorable"]


def test_dashboard_query_count_does_not_grow_with_rows():
    def compter(departement):
        statements = []

        def listener(*args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            tdb.construire(departement, "x")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    ouvrir()
    avant = compter("38")
    for _ in range(5):
        make_conseiller(make_structure("38"))
    commune_participe("38421")
    epci_porte()
    lieux.importer(ECHANTILLON)
    assert compter("38") == avant


def test_dashboard_page_table_chart_and_scope(client):
    lieux.importer(ECHANTILLON)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    assert client.get("/tableau-de-bord/").headers["Location"].endswith("/tableau-de-bord/departement/38")
    page = client.get("/tableau-de-bord/departement/38").get_data(as_text=True)
    assert "Tableau de bord — Isère (38)" in page
    assert 'id="valeur-lieux">2<' in page and "Source : Cartographie nationale" in page and "importé le" in page
    assert 'id="table-structures-type"' in page or "Aucune donnée." in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "js/tableau_de_bord.js" in page
    assert client.get("/static/vendor/chartjs/chart.umd.min.js").status_code == 200
    assert client.get("/tableau-de-bord/departement/74").status_code == 404
    assert client.get("/tableau-de-bord/national").status_code == 404
    client.get("/logout/")
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    national = client.get("/tableau-de-bord/national").get_data(as_text=True)
    assert "Tableau de bord national" in national and 'id="valeur-lieux">5<' in national
