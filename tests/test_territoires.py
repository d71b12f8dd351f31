"""Reference territories: full import from the shipped file, « Rechercher la collectivité »,
its JSON endpoint, postal code -> département.

The module imports the real file once (module fixture), then puts the small reference sample of
`tests/factories.py` back, through the importer itself, so that other modules find what they expect.
"""

import gzip
import json

import pytest
from sqlalchemy import delete, func, insert, select, update

from app.extensions import db
from app.models import Commune, Departement, Epci, Region
from app.models.territoires import TerritoiresVersion
from app.security import roles
from app.territoires import importer as territoires_importer
from app.territoires.recherche import (
    RechercheInvalide,
    departement_pour_code_postal,
    normaliser,
    rechercher,
)
from tests import factories
from tests.conftest import _truncate, login

COM = {"975", "977", "978", "984", "986", "987", "988", "989"}


def _write(path, document) -> str:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
        json.dump(document, fh, ensure_ascii=False)
    return str(path)


def _sample_document() -> dict:
    """The reference sample of the test harness, in the format of the shipped file."""
    return {
        "format": 1,
        "source": "échantillon de test",
        "regions": {"colonnes": ["code", "nom", "est_com"], "lignes": [[c, n, False] for c, n in factories.REGIONS]},
        "departements": {"colonnes": ["code", "nom", "region", "est_com"],
                         "lignes": [[c, n, r, False] for c, n, r in factories.DEPARTEMENTS]},
        "epci": {"colonnes": ["code", "nom", "type", "population"], "lignes": [list(e) for e in factories.EPCIS]},
        "communes": {
            "colonnes": ["code", "nom", "departement", "region", "siren", "codes_postaux", "population", "epci"],
            "lignes": [[c, n, d, r, s, cp.split(","), p, e] for c, n, d, r, e, s, cp, p in factories.COMMUNES],
        },
    }


@pytest.fixture(autouse=True)
def _clean_database(app):
    """The harness' cleaning (tests/conftest.py), keeping the version row of the territories too.

    The harness empties every table but the territories; without the version row the search has
    no cache and would rebuild its index of the full data (half a second) at every call.
    """
    with app.app_context():
        yield
        version = db.session.execute(select(TerritoiresVersion.__table__)).mappings().first()
        _truncate()
        if version is not None:
            db.session.execute(insert(TerritoiresVersion.__table__).values(**version))
            db.session.commit()


@pytest.fixture(scope="module")
def rapport(app, tmp_path_factory):
    """Full import of the shipped file, once for the module; the sample is put back afterwards."""
    with app.app_context():
        rapport = territoires_importer.importer()
    yield rapport
    with app.app_context():
        sample = _write(tmp_path_factory.mktemp("territoires") / "echantillon.json.gz", _sample_document())
        restored = territoires_importer.importer(sample)
        assert restored.comptes["communes"] == len(factories.COMMUNES)
        assert not any(b.conserves for b in restored.tables.values())


def _codes(resultats) -> list[tuple[str, str]]:
    return [(r["type"], r["code"]) for r in resultats]


# --- import ------------------------------------------------------------------------------------

def test_full_import_counts(rapport):
    assert rapport.comptes == {"regions": 18, "departements": 101, "com": 8, "epci": 1255, "communes": 34969,
                               "communes_epci": 34871}
    assert db.session.scalar(select(func.count()).select_from(Region)) == 26
    assert set(db.session.scalars(select(Region.code).where(Region.est_com))) == COM
    assert set(db.session.scalars(select(Departement.code).where(Departement.est_com))) == COM
    assert db.session.get(Region, "84").est_com is False
    saint_martin = db.session.get(Departement, "978")
    assert (saint_martin.nom, saint_martin.region_code, saint_martin.est_com) == ("Saint-Martin", "978", True)
    assert {t for (t,) in db.session.execute(select(Epci.type).distinct())} == {"CC", "CA", "CU", "METRO", "MET69"}


def test_import_fills_communes_and_their_epci(rapport):
    grenoble = db.session.get(Commune, "38185")
    assert (grenoble.nom, grenoble.departement_code, grenoble.region_code, grenoble.siren) == \
        ("Grenoble", "38", "84", "213801855")
    assert grenoble.codes_postaux == "38000,38100"
    assert grenoble.epci.nom == "Grenoble-Alpes-Métropole"
    assert grenoble.population > 150_000
    assert db.session.get(Commune, "42218").nom_recherche == "saint etienne"
    assert db.session.get(Epci, "200040715").nom_recherche == normaliser("Grenoble-Alpes-Métropole")
    assert db.session.scalar(select(func.count()).where(Commune.epci_code == "200040715")) == 49
    assert "75116" in db.session.get(Commune, "75056").codes_postaux.split(",")
    # Only current communes: a former commune merged into Annecy is not there.
    assert db.session.get(Commune, "74093") is None


def test_second_import_changes_nothing(rapport):
    jeton = db.session.scalar(select(TerritoiresVersion.jeton))
    again = territoires_importer.importer()
    assert again.changements == 0
    assert all(b.inchanges == b.dans_fichier for b in again.tables.values())
    assert again.comptes == rapport.comptes
    assert db.session.scalar(select(TerritoiresVersion.jeton)) == jeton  # caches stay valid


def test_cli_import_prints_french_counts(app, rapport):
    result = app.test_cli_runner().invoke(args=["territoires", "import"])
    assert result.exit_code == 0, result.output
    assert "18 régions et 101 départements, plus 8 collectivités d'outre-mer" in result.output
    assert "34\u202f969 communes" in result.output
    simulation = app.test_cli_runner().invoke(args=["territoires", "import", "--dry-run"])
    assert "simulation, rien n'a été enregistré" in simulation.output
    missing = app.test_cli_runner().invoke(args=["territoires", "import", "--file", "/nulle/part.json.gz"])
    assert missing.exit_code != 0
    assert "Fichier introuvable" in missing.output


def test_rows_absent_from_the_file_are_deleted_or_reported(rapport, tmp_path):
    with gzip.open(territoires_importer.FICHIER_PAR_DEFAUT, "rt", encoding="utf-8") as fh:
        document = json.load(fh)
    # Les Adrets (38002) still has a structure; Agnin (38003) has nothing: both vanish from the file.
    structure = factories.make_structure("38", commune_code="38002")
    document["communes"]["lignes"] = [r for r in document["communes"]["lignes"] if r[0] not in {"38002", "38003"}]
    reduit = territoires_importer.importer(_write(tmp_path / "reduit.json.gz", document))
    communes = reduit.tables["Communes"]
    assert (communes.supprimes, communes.ajoutes, communes.modifies) == (1, 0, 0)
    assert communes.conserves == {"38002": {"structure.commune_code": 1}}
    assert db.session.get(Commune, "38003") is None
    assert db.session.get(Commune, "38002") is not None
    assert any("38002 : structure.commune_code (1)" in line for line in reduit.lignes())

    db.session.delete(db.session.get(type(structure), structure.id))
    db.session.commit()
    complet = territoires_importer.importer()
    assert complet.tables["Communes"].ajoutes == 1
    assert complet.comptes == rapport.comptes


def test_bad_file_is_refused_in_french(tmp_path):
    path = tmp_path / "faux.json.gz"
    path.write_bytes(b"pas du gzip")
    with pytest.raises(territoires_importer.FichierInvalide, match="illisible"):
        territoires_importer.importer(path)
    with pytest.raises(territoires_importer.FichierInvalide, match="Format de fichier inattendu"):
        territoires_importer.importer(_write(tmp_path / "vieux.json.gz", {"format": 0}))


# --- search --------------------------------------------------------------------------------

def test_search_ignores_case_accents_punctuation_and_abbreviations(rapport):
    for q in ["saint etienne", "Saint-Étienne", "SAINT ÉTIENNE", "st etienne", "St-Etienne !", "  saint   etienne  "]:
        first = rechercher(q)[0]
        assert (first["type"], first["code"], first["libelle"]) == \
            ("commune", "42218", "Saint-Étienne (42000, 42100, 42230)"), q


def test_every_word_must_match_the_start_of_a_word(rapport):
    resultats = rechercher("grenoble metropole")
    assert _codes(resultats)[0] == ("epci", "200040715")
    for r in resultats:
        mots = normaliser(r["nom"]).split()
        assert any(m.startswith("grenoble") for m in mots) and any(m.startswith("metropole") for m in mots)
    assert rechercher("grenoble zzzz") == []
    # Words in any order; not an exact name then: the métropole (more populated) comes first.
    assert _codes(rechercher("etienne saint"))[:2] == [("epci", "244200770"), ("commune", "42218")]
    assert ("commune", "38185") not in _codes(rechercher("renoble", limit=50))  # inside a word: no match
    assert _codes(rechercher("sainte genevieve des bois")) == [("commune", "91549"), ("commune", "45278")]
    assert _codes(rechercher("ste genev", types=["commune"], limit=50))[0] == ("commune", "91549")
    assert _codes(rechercher("saint martin d'heres"))[0] == ("commune", "38421")
    # EPCI acronyms spelt out: "CA du Grand Annecy".
    assert _codes(rechercher("communaute d'agglomeration annecy")) == [("epci", "200066793")]
    assert _codes(rechercher("ca grand annecy")) == [("epci", "200066793")]


def test_best_matches_first(rapport):
    resultats = rechercher("loire", types=["departement", "region"], limit=20)
    assert _codes(resultats)[0] == ("departement", "42")  # exact name
    assert [r["nom"] for r in resultats[1:3]] == ["Loire-Atlantique", "Loiret"]  # name starts with the query
    rest = resultats[3:]
    assert {r["nom"] for r in rest} == {"Haute-Loire", "Indre-et-Loire", "Maine-et-Loire", "Saône-et-Loire",
                                        "Pays de la Loire", "Centre-Val de Loire"}
    assert [r["population"] for r in rest] == sorted((r["population"] for r in rest), reverse=True)

    paris = rechercher("paris")
    assert {(r["type"], r["code"]) for r in paris[:2]} == {("commune", "75056"), ("departement", "75")}
    populations = [r["population"] or 0 for r in rechercher("saint", types=["commune"], limit=50)]
    assert populations == sorted(populations, reverse=True)
    assert len(rechercher("saint")) == 10
    assert len(rechercher("saint", limit=50)) == 50


def test_labels(rapport):
    assert rechercher("isere", types=["departement"])[0] == {
        "type": "departement", "code": "38", "nom": "Isère", "libelle": "Isère (38)", "departement": "38",
        "region": "84", "population": rechercher("isere", types=["departement"])[0]["population"]}
    metropole = rechercher("grenoble alpes metropole", types=["epci"])[0]
    assert (metropole["libelle"], metropole["departement"], metropole["region"]) == \
        ("Grenoble-Alpes-Métropole", "38", "84")
    assert metropole["population"] > 400_000
    region = rechercher("auvergne rhone alpes", types=["region"])[0]
    assert (region["code"], region["libelle"], region["departement"]) == ("84", "Auvergne-Rhône-Alpes", None)
    assert rechercher("grenoble", types=["commune"])[0]["libelle"] == "Grenoble (38000, 38100)"
    com = rechercher("saint martin", types=["departement"])
    assert {"code": "978", "libelle": "Saint-Martin (978)"}.items() <= com[0].items()


def test_filters_by_kind_and_territory(rapport):
    assert {r["type"] for r in rechercher("saint", types=["epci"], limit=50)} == {"epci"}
    isere = rechercher("saint", departement="38", limit=50)
    assert len(isere) == 50
    for r in isere:
        if r["type"] == "commune":
            assert r["departement"] == "38"
        else:
            assert r["type"] == "epci"
            assert db.session.scalar(select(func.count()).where(Commune.epci_code == r["code"],
                                                                 Commune.departement_code == "38"))
    corse = rechercher("a", region="94", types=["commune"], limit=50)
    assert corse and {r["departement"] for r in corse} <= {"2A", "2B"}
    # A région overlaps its départements: Auvergne-Rhône-Alpes is found with the Isère filter.
    assert _codes(rechercher("auvergne", departement="38", types=["region"])) == [("region", "84")]
    assert rechercher("auvergne", departement="75", types=["region"]) == []
    assert rechercher("grenoble", departement="38", region="11") == []
    assert _codes(rechercher("ajaccio", departement="2a")) == [("commune", "2A004")]


def test_search_by_code(rapport):
    assert _codes(rechercher("38185"))[0] == ("commune", "38185")  # code INSEE
    assert _codes(rechercher("38000"))[0] == ("commune", "38185")  # code postal
    assert _codes(rechercher("213801855")) == [("commune", "38185")]  # SIREN of the commune
    assert _codes(rechercher("200040715")) == [("epci", "200040715")]  # SIREN of the EPCI
    assert _codes(rechercher("2A"))[0] == ("departement", "2A")
    assert _codes(rechercher("2a004")) == [("commune", "2A004")]
    assert _codes(rechercher("97150")) == [("commune", "97801")]
    assert _codes(rechercher("3800", types=["commune"], limit=50))[0] == ("commune", "38185")  # code being typed
    assert _codes(rechercher("grenoble 38100")) == [("commune", "38185")]


def test_bad_parameters_are_refused_in_french(rapport):
    assert rechercher("") == []
    assert rechercher(" - ' ") == []
    with pytest.raises(RechercheInvalide, match="Type de collectivité inconnu : pays"):
        rechercher("paris", types=["pays"])
    with pytest.raises(RechercheInvalide, match="au moins un type"):
        rechercher("paris", types=[])
    with pytest.raises(RechercheInvalide, match="entre 1 et 50"):
        rechercher("paris", limit=51)
    with pytest.raises(RechercheInvalide, match="Département inconnu : 99"):
        rechercher("paris", departement="99")
    with pytest.raises(RechercheInvalide, match="Région inconnue : 99"):
        rechercher("paris", region="99")
    with pytest.raises(RechercheInvalide, match="trop longue"):
        rechercher("a" * 101)


def test_search_sees_changes_made_by_another_process(rapport):
    assert rechercher("grenoble", types=["commune"])[0]["nom"] == "Grenoble"
    # ORM write, in this process.
    commune = db.session.get(Commune, "38185")
    commune.nom = "Grenoble-sur-Isère"
    db.session.commit()
    try:
        assert rechercher("grenoble sur", types=["commune"])[0]["libelle"] == "Grenoble-sur-Isère (38000, 38100)"
        # Another process (an import in another worker) changes the rows and the version token.
        from app.models.territoires import renew_token

        db.session.execute(update(Commune).where(Commune.code == "38185")
                           .values(nom="Grenoble", nom_recherche="grenoble"))
        renew_token(db.session.connection())
        db.session.commit()
        assert rechercher("grenoble", types=["commune"])[0]["nom"] == "Grenoble"
        assert rechercher("grenoble sur", types=["commune"]) == []
        # Without the version row (deleted by hand), nothing is cached: changes are still seen.
        db.session.execute(delete(TerritoiresVersion))
        db.session.execute(update(Commune).where(Commune.code == "38185")
                           .values(nom="Grenoble-Centre", nom_recherche="grenoble centre"))
        db.session.commit()
        assert rechercher("grenoble centre", types=["commune"])[0]["code"] == "38185"
    finally:
        db.session.rollback()
        db.session.get(Commune, "38185").nom = "Grenoble"
        db.session.commit()


# --- endpoint -------------------------------------------------------------------------------

def test_endpoint_answers_anonymous_users(client, rapport):
    response = client.get("/territoires/recherche", query_string={"q": "Grenoble", "types": "commune,epci",
                                                                 "departement": "38"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    resultats = response.json["resultats"]
    assert [r["code"] for r in resultats] == ["38185", "200040715"]
    assert resultats[0] == {"type": "commune", "code": "38185", "nom": "Grenoble",
                            "libelle": "Grenoble (38000, 38100)", "departement": "38", "region": "84",
                            "population": resultats[0]["population"]}
    assert len(client.get("/territoires/recherche?q=saint").json["resultats"]) == 10
    assert len(client.get("/territoires/recherche?q=saint&limit=3").json["resultats"]) == 3
    assert client.get("/territoires/recherche?q=").json == {"resultats": []}


def test_endpoint_for_a_signed_in_user(client, rapport):
    factories.make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    response = client.get("/territoires/recherche?q=isere&types=departement")
    assert response.status_code == 200
    assert response.json["resultats"][0]["libelle"] == "Isère (38)"


def test_endpoint_bad_parameters(client, rapport):
    cases = [
        ({}, "Le paramètre « q » (texte recherché) est obligatoire."),
        ({"q": "paris", "limit": "100"}, "Le paramètre « limit » doit être un entier entre 1 et 50."),
        ({"q": "paris", "limit": "dix"}, "Le paramètre « limit » doit être un entier entre 1 et 50."),
        ({"q": "paris", "types": "commune,pays"}, "Type de collectivité inconnu : pays."),
        ({"q": "paris", "types": ""}, "Indiquez au moins un type de collectivité"),
        ({"q": "paris", "departement": "100"}, "Département inconnu : 100."),
        ({"q": "paris", "region": "xx"}, "Région inconnue : xx."),
        ({"q": "x" * 101}, "La recherche est trop longue (100 caractères au plus)."),
    ]
    for query, message in cases:
        response = client.get("/territoires/recherche", query_string=query)
        assert response.status_code == 400, query
        assert response.json["message"].startswith(message), (query, response.json)


# --- postal code -> département ---------------------------------------------------------------

def test_departement_pour_code_postal(rapport):
    attendus = {
        "38000": "38",
        "75116": "75",
        "01200": "01",  # Valserhône (01) and Éloise (74): the most populated commune decides
        "20000": "2A",  # Ajaccio
        "20090": "2A",
        "20200": "2B",  # Bastia
        "20600": "2B",
        "20176": "2A",  # unknown in the data: nearest Corsican postal code (20173, Corse-du-Sud)
        "20601": "2B",
        "97133": "977",  # Saint-Barthélemy uses a Guadeloupe-like postal code
        "97150": "978",  # Saint-Martin
        "97400": "974",
        "97199": "971",  # unknown: the 3-digit rule
        "98714": "987",
        "98000": None,  # Monaco
        "38999": "38",  # unknown: the first two digits
        "00000": None,
        "3800": None,
        "abcde": None,
        "": None,
    }
    assert {cp: departement_pour_code_postal(cp) for cp in attendus} == attendus
    assert departement_pour_code_postal(None) is None
