"""Accompaniment statistics: CSV import (all or nothing), the conseiller's API, the monthly roll-up,
the scoped statistics page and its CSV."""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ExportLog
from app.security import roles
from app.security.scope import NATIONAL
from app.statistiques import agregats, calculs
from app.statistiques.dimensions import MESURES, THEME_BITS
from app.statistiques.importer import importer
from app.statistiques.models import Cra, CraMensuel
from tests.conftest import api_token, login
from tests.factories import make_conseiller, make_structure, make_user
from tests.factories_statistiques import cra_values, make_cras

ENTETE = ("date;conseiller_id;canal;activite;nb_participants;duree;themes;age_18_35;age_35_60;"
          "statut_en_emploi;statut_retraite;commune_code")


def _csv(*lignes: str) -> str:
    return "\n".join([ENTETE, *lignes]) + "\n"


def _compte(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_reports_every_bad_row_and_imports_nothing(app):
    conseiller = make_conseiller(make_structure("38"))
    sans_structure = make_conseiller(None)
    contenu = _csv(
        f"05/10/2023;{conseiller.id};rattachement;individuel;1;30_60;demarches|courriel;1;0;1;0;38185",
        f"2023-10-06;{conseiller.id};teleportation;atelier;3;30_60;demarches;1;2;3;0;",
        "2023-10-07;999999;distance;individuel;1;moins_30;internet;1;0;1;0;",
        f"2023-10-08;{sans_structure.id};distance;individuel;1;moins_30;internet;1;0;1;0;",
        f"2023-10-09;{conseiller.id};distance;atelier;4;plus_120;cuisine;2;1;2;1;",
        f"2023-10-10;{conseiller.id};distance;individuel;1;moins_30;internet;1;0;1;0;99999",
    )
    rapport = importer(contenu)
    assert [n for n, _ in rapport.erreurs] == [3, 4, 5, 6, 7]
    messages = dict(rapport.erreurs)
    assert "canal" in messages[3]
    assert "conseiller inconnu" in messages[4]
    assert "aucune structure" in messages[5]
    assert "Thèmes inconnus : cuisine" in messages[6] and "tranches d'âge (3)" in messages[6]
    assert "commune inconnue" in messages[7]
    assert rapport.importes == 0
    assert _compte(Cra) == 0 and _compte(CraMensuel) == 0


def test_import_then_roll_up_matches_the_reports(app):
    conseiller = make_conseiller(make_structure("38"))
    contenu = "\ufeff" + _csv(
        f"05/10/2023;{conseiller.id};rattachement;individuel;1;30_60;demarches|courriel;1;0;1;0;38185",
        f"2023-10-20;{conseiller.id};domicile;atelier;3;60_120;securite;1;2;2;1;",
        f"2023-11-02;{conseiller.id};distance;redirection;2;moins_30;emploi;2;0;2;0;",
    )
    rapport = importer(contenu)
    assert rapport.erreurs == [] and rapport.importes == 3
    mensuel = db.session.scalars(select(CraMensuel).order_by(CraMensuel.mois)).all()
    assert [(m.mois, m.nb_cra, m.nb_participants) for m in mensuel] == [(date(2023, 10, 1), 2, 4),
                                                                        (date(2023, 11, 1), 1, 2)]
    assert mensuel[0].theme_demarches == 1 and mensuel[0].theme_courriel == 1 and mensuel[0].theme_securite == 1
    assert mensuel[0].participants_atelier == 3 and mensuel[0].canal_domicile == 1
    avant = {m.mois: {k: getattr(m, k) for k in MESURES} for m in mensuel}
    agregats.reconstruire()
    db.session.commit()
    apres = {m.mois: {k: getattr(m, k) for k in MESURES} for m in db.session.scalars(select(CraMensuel))}
    assert apres == avant


def test_cli_import_exit_code_and_line_numbers(app, tmp_path):
    conseiller = make_conseiller(make_structure("38"))
    fichier = tmp_path / "cra.csv"
    fichier.write_text(_csv(f"05/10/2023;{conseiller.id};rattachement;individuel;2;30_60;demarches;1;1;1;1;"),
                       encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["cra", "import", str(fichier)])
    assert result.exit_code != 0
    assert "ligne 2" in result.output and "rien n'a été importé" in result.output
    fichier.write_text(_csv(f"05/10/2023;{conseiller.id};rattachement;atelier;2;30_60;demarches;1;1;1;1;"),
                       encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["cra", "import", str(fichier)])
    assert result.exit_code == 0, result.output
    assert "1 compte(s) rendu(s) importé(s)" in result.output


CRA_JSON = {"date": "2023-10-05", "canal": "distance", "activite": "atelier", "nb_participants": 3,
            "duree": "60_120", "themes": ["demarches", "securite"], "ages": {"35_60": 2, "plus_60": 1},
            "statuts": {"retraite": 1, "en_emploi": 2}, "commune_code": "38185"}


def _api(app, client, method, url, **kwargs):
    """One API call in its own application context, as in production (the test's context keeps `g`,
    where Flask-JWT-Extended caches the token's user between requests)."""
    with app.app_context():
        return client.open(url, method=method, **kwargs)


def test_conseiller_posts_its_own_reports(app, client):
    isere = make_structure("38")
    conseiller = make_conseiller(isere)
    autre = make_conseiller(make_structure("74"))
    make_user(roles.CONSEILLER, "cn-38", conseiller_id=conseiller.id)
    headers = api_token(client, "cn-38")
    response = _api(app, client, "POST", "/api/v1/cra/", json={**CRA_JSON, "conseiller_id": autre.id}, headers=headers)
    assert response.status_code == 201, response.json
    cra = db.session.get(Cra, response.json["id"])
    assert (cra.conseiller_id, cra.structure_id) == (conseiller.id, isere.id)  # never another conseiller's
    assert response.json["result"]["themes"] == ["securite", "demarches"] or set(
        response.json["result"]["themes"]) == {"securite", "demarches"}
    mensuel = db.session.scalars(select(CraMensuel)).one()
    assert (mensuel.nb_cra, mensuel.nb_participants, mensuel.age_plus_60) == (1, 3, 1)

    # a batch is recorded whole or not at all
    response = _api(app, client, "POST", "/api/v1/cra/", json=[CRA_JSON, {**CRA_JSON, "canal": "x", "nb_participants": 0}],
                           headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "1" in response.json["message"] and "canal" in response.json["message"]["1"]
    assert _compte(Cra) == 1
    response = _api(app, client, "POST", "/api/v1/cra/", json=[CRA_JSON, {**CRA_JSON, "commune_code": "99999"}],
                    headers=headers)
    assert response.status_code == 400
    assert response.json["message"] == {"1": {"commune_code": "Commune inconnue."}}
    assert _compte(Cra) == 1
    response = _api(app, client, "POST", "/api/v1/cra/", json=[CRA_JSON, CRA_JSON], headers=headers)
    assert response.status_code == 201 and len(response.json["result"]) == 2
    db.session.expire_all()
    assert db.session.scalars(select(CraMensuel)).one().nb_cra == 3

    login(client, "cn-38")  # the API also takes the browser session
    listing = client.get("/api/v1/cra/")
    assert listing.status_code == 200 and listing.json["count"] == 3


def test_cra_api_errors_are_french_and_roles_are_checked(app, client):
    conseiller = make_conseiller(make_structure("38"))
    make_user(roles.CONSEILLER, "cn-38", conseiller_id=conseiller.id)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    headers = api_token(client, "cn-38")
    futur = (date.today() + timedelta(days=5)).isoformat()
    response = _api(app, client, "POST", "/api/v1/cra/", json={**CRA_JSON, "date": futur, "activite": "individuel"},
                           headers=headers)
    assert response.status_code == 400
    assert response.json["message"]["date"] == "La date ne peut pas être dans le futur."
    assert "seule personne" in response.json["message"]["nb_participants"]
    prefet = api_token(client, "prefet-38")
    assert _api(app, client, "POST", "/api/v1/cra/", json=CRA_JSON, headers=prefet).status_code == 403
    assert _compte(Cra) == 0


def test_upsert_adds_to_the_same_month(app):
    conseiller = make_conseiller(make_structure("38"))
    make_cras(conseiller, 2)
    make_cras(conseiller, 3, activite="atelier", nb_participants=2, age_35_60=2, statut_en_emploi=2)
    mensuel = db.session.scalars(select(CraMensuel)).one()
    assert (mensuel.nb_cra, mensuel.nb_participants, mensuel.activite_atelier, mensuel.participants_atelier) == (
        5, 8, 3, 6)


@pytest.mark.parametrize("debut,fin", [
    (date(2023, 1, 1), date(2023, 12, 31)), (date(2023, 1, 15), date(2023, 3, 10)),
    (date(2023, 2, 3), date(2023, 2, 20)), (date(2023, 1, 31), date(2023, 2, 1)),
    (date(2022, 12, 1), date(2023, 6, 30)), (date(2023, 3, 1), date(2023, 3, 31)),
])
def test_period_split_gives_the_same_figures_as_the_raw_reports(app, debut, fin):
    conseillers = [make_conseiller(make_structure(dep)) for dep in ("38", "74", "75")]
    rng = random.Random(7)
    rapports = []
    for _ in range(400):
        conseiller = rng.choice(conseillers)
        n = rng.randint(1, 4)
        rapports.append(cra_values(conseiller, date=date(2022, 11, 20) + timedelta(days=rng.randrange(260)),
                                   activite="atelier" if n > 1 else "individuel", nb_participants=n,
                                   age_35_60=n, statut_en_emploi=n, canal=rng.choice(["distance", "domicile"]),
                                   themes=rng.choice(list(THEME_BITS.values())) | THEME_BITS["autre"]))
    agregats.enregistrer(rapports)
    db.session.commit()
    attendus = [r for r in rapports if debut <= r["date"] <= fin]
    figures = calculs.mesures(calculs.Filtres(debut=debut, fin=fin), NATIONAL)
    assert figures["nb_cra"] == len(attendus)
    assert figures["nb_participants"] == sum(r["nb_participants"] for r in attendus)
    assert figures["canal_distance"] == sum(r["canal"] == "distance" for r in attendus)
    assert figures["theme_autre"] == len(attendus)
    isere = calculs.mesures(calculs.Filtres(debut=debut, fin=fin, departement="38"), NATIONAL)
    assert isere["nb_cra"] == sum(r["structure_id"] == conseillers[0].structure_id for r in attendus)


def _donnees_trois_departements():
    isere = make_structure("38", nom="Mairie de Grenoble")
    voiron = make_structure("38", nom="Mairie de Voiron")
    savoie = make_structure("74", nom="Mairie d'Annecy")
    paris = make_structure("75", nom="Mairie de Paris")
    c38, c38b = make_conseiller(isere, nom="Isérois"), make_conseiller(voiron, nom="Voironnais")
    c74, c75 = make_conseiller(savoie, nom="Savoyard"), make_conseiller(paris, nom="Parisien")
    make_cras(c38, 7, date=date(2023, 10, 5))
    make_cras(c38b, 3, date=date(2023, 10, 20), canal="domicile")
    make_cras(c38, 2, date=date(2022, 5, 5))  # outside the period asked
    make_cras(c74, 11, date=date(2023, 10, 5))
    make_cras(c75, 13, date=date(2023, 10, 5))
    return isere, voiron, c38


def _chiffre(page: str, label: str) -> str:
    import re

    match = re.search(r'<span class="valeur">([\d\u202f]+)</span> ' + label, page)
    assert match, label
    return match.group(1).replace("\u202f", "")


def test_prefet_of_isere_sees_isere_statistics_for_a_period(client):
    isere, voiron, c38 = _donnees_trois_departements()
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    page = client.get("/statistiques/?debut=2023-10-01&fin=2023-10-31").get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "10"
    assert "Mairie de Grenoble" in page and "Mairie de Voiron" in page
    assert "Annecy" not in page and "Paris" not in page
    assert 'data-graphique="graphique-canal"' in page and "vendor/chartjs/chart.umd.min.js" in page
    assert "<caption" in page  # each chart has its data table
    # filters: a structure of its territory, then one outside (ignored: the figures stay Isère's)
    page = client.get(f"/statistiques/?debut=2023-10-01&fin=2023-10-31&structure={voiron.id}").get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "3"
    paris_id = db.session.scalar(select(Cra.structure_id).join(Cra.structure).where(Cra.structure.has(departement_code="75")))
    page = client.get(f"/statistiques/?debut=2023-10-01&fin=2023-10-31&departement=75&structure={paris_id}"
                      ).get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "10"
    page = client.get("/statistiques/?debut=2021-01-01&fin=2023-12-31").get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "12"


def test_anct_sees_national_figures_by_departement_and_exports_them(client):
    _donnees_trois_departements()
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    page = client.get("/statistiques/?debut=2023-10-01&fin=2023-10-31").get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "34"
    assert "Par département" in page and "Paris (75)" in page
    response = client.get("/statistiques/export.csv?debut=2023-10-01&fin=2023-10-31")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="statistiques_national_')
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffIndicateur;Catégorie;Valeur;Part (%)")
    assert "Totaux;Accompagnements;34;" in text and "Canal d'accompagnement;À domicile;3;8,8" in text
    assert db.session.scalar(select(ExportLog.export)) == "statistiques"


def test_conseiller_and_structure_see_only_their_own_figures(client):
    isere, voiron, c38 = _donnees_trois_departements()
    make_user(roles.CONSEILLER, "cn", conseiller_id=c38.id)
    make_user(roles.STRUCTURE, "voiron", structure_id=voiron.id)
    login(client, "cn")
    page = client.get("/statistiques/?debut=2023-10-01&fin=2023-10-31").get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "7"
    client.get("/logout/")
    login(client, "voiron")
    page = client.get("/statistiques/?debut=2023-10-01&fin=2023-10-31").get_data(as_text=True)
    assert _chiffre(page, "accompagnements") == "3"


def test_statistics_page_query_count_does_not_grow_with_reports(client):
    from tests.test_requetes import count_statements

    isere, voiron, c38 = _donnees_trois_departements()
    make_user(roles.ANCT, "anct")
    login(client, "anct")
    url = "/statistiques/?debut=2023-01-15&fin=2023-10-20"
    client.get(url)
    with count_statements() as avant:
        client.get(url)
    make_cras(c38, 50, date=date(2023, 3, 3))
    client.get(url)
    with count_statements() as apres:
        client.get(url)
    assert len(avant) == len(apres) <= 20
