"""The préfet's Gouvernance page: counters, actors with badges, contacts and their CSV, scope, hubs."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.gouvernances import gouvernance
from app.gouvernances import participation as regles
from app.gouvernances.models import Hub, Region
from app.models.journal import ExportLog
from app.security import roles
from app.security.scope import Scope, scope_for
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.gouvernances_fixtures import CONTACT_POLITIQUE, SIRET_B, commune_participe, epci_porte, ouvrir


@pytest.fixture(autouse=True)
def _ouvert():
    ouvrir()


def _structure_participe(departement: str = "38", siret: str | None = None, nom: str = "Association Numérique"):
    p, _ = regles.commencer("structure", "S", "s@asso.fr")
    regles.enregistrer_structure(p, {"structure_nom": nom, "departement": departement,
                                     **({"siret": siret} if siret else {"sans_siret": "1"}),
                                     "contact_prenom": "Léa", "contact_nom": "Martin", "contact_fonction": "Directrice",
                                     "contact_email": "lea@asso.fr"})
    regles.envoyer(p)
    return p


def test_counters_follow_the_rule_of_who_concerns_the_departement():
    isere = Scope(departements=frozenset({"38"}))
    assert gouvernance.compteurs(isere) == gouvernance.Compteurs()
    commune_participe("38421")
    _structure_participe()
    epci_porte(membres=("commune:38185", "commune:38421", "commune:74010"), partenaires=2)
    region, _ = regles.commencer("conseil_regional", "R", "r@exemple.fr")
    regles.choisir_intention(region, "porter")
    regles.choisir_collectivite(region, "region:84")
    regles.enregistrer_contacts(region, CONTACT_POLITIQUE)
    regles.definir_perimetre(region, ["commune:38185", "departement:74"])  # Grenoble already suggested
    regles.envoyer(region)
    commune_participe("74010", "annecy@exemple.fr")  # another département: not counted in Isère
    brouillon, _ = regles.commencer("commune", "B", "b@exemple.fr")  # a draft never counts
    c = gouvernance.compteurs(isere)
    assert (c.porteurs, c.participants_collectivites, c.participants_structures) == (2, 1, 1)
    # Suggested: 38185, 38421, 74010 (EPCI) + 74 (région); 38185 once. Structures: two partners.
    assert (c.suggeres_collectivites, c.suggeres_structures) == (4, 2)
    savoie = gouvernance.compteurs(Scope(departements=frozenset({"74"})))
    assert (savoie.porteurs, savoie.participants_collectivites) == (1, 1)  # the région's, and Annecy


def test_actors_carry_their_badges():
    commune_participe("38421")
    epci_porte(membres=("commune:38185", "commune:38421"), partenaires=1)
    acteurs = {a.cle: a for a in gouvernance.acteurs(Scope(departements=frozenset({"38"})))}
    assert acteurs["commune:38421"].badges == ["participant", "suggere"]
    assert acteurs["commune:38421"].porteurs == ["Grenoble-Alpes-Métropole"]
    assert acteurs["epci:200040715"].badges == ["porteur"]
    assert acteurs["commune:38185"].badges == ["suggere"]
    assert acteurs[f"structure:{SIRET_B}"].badges == ["suggere"]


def test_gouvernance_page_and_contacts_csv(client):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert '<dd id="compteur-porteurs">0</dd>' in page
    commune_participe("38421")
    epci_porte()
    _structure_participe(nom="=SOMME(A1:A9)")
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert '<dd id="compteur-porteurs">1</dd>' in page
    assert '<dd id="compteur-participants-collectivites">1</dd>' in page
    assert '<dd id="compteur-participants-structures">1</dd>' in page
    assert '<dd id="compteur-suggeres-collectivites">2</dd>' in page
    assert '<dd id="compteur-suggeres-structures">1</dd>' in page
    assert "gouv-badge-porteur" in page and "gouv-badge-suggere" in page and "gouv-badge-participant" in page
    export = client.get("/gouvernance/departement/38/contacts.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "gouvernance-contacts-38_departement-38_" in export.headers["Content-Disposition"]
    lignes = export.get_data(as_text=True).split("\r\n")
    assert lignes[0] == ("\ufeffDate de dépôt;Collectivité / structure;Typologie;Intention;Porteur;Contact;Fonction;"
                         "Type de contact;Email;SIRET;Code INSEE")
    corps = "\n".join(lignes[1:])
    assert "Commune de Saint-Martin-d'Hères;Commune;Souhaite participer;;Claire Durand;Maire;Contact politique;" \
           "claire.durand@mairie.fr;;38421" in corps
    assert "Grenoble-Alpes-Métropole;EPCI;Porteur;Grenoble-Alpes-Métropole;Ali Tech;;Contact technique" in corps
    assert f"Association Partenaire 0;Structure;Partenaire suggéré;Grenoble-Alpes-Métropole;Léa Asso0;;" \
           f"Contact de la structure partenaire;asso0@exemple.fr;{SIRET_B};" in corps
    assert ";'=SOMME(A1:A9);Structure;" in corps  # a formula typed in a public form is neutralised
    assert db.session.scalar(select(ExportLog.export)) == "gouvernance-contacts"
    # The sent form itself.
    p = commune_participe("38185", "grenoble@exemple.fr")
    detail = client.get(f"/gouvernance/participation/{p.id}").get_data(as_text=True)
    assert "Commune de Grenoble" in detail and "Contact politique" in detail


def test_out_of_scope_forms_are_invisible(client):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    annecy = commune_participe("74010", "annecy@exemple.fr")
    login(client, "prefet-38")
    page = client.get("/gouvernance/departement/38").get_data(as_text=True)
    assert "Annecy" not in page
    assert client.get("/gouvernance/departement/74").status_code == 404
    assert client.get("/gouvernance/departement/74/contacts.csv").status_code == 404
    assert client.get(f"/gouvernance/participation/{annecy.id}").status_code == 404
    brouillon, _ = regles.commencer("commune", "B", "b@exemple.fr")
    regles.choisir_collectivite(brouillon, "commune:38185")
    assert client.get(f"/gouvernance/participation/{brouillon.id}").status_code == 404  # drafts are private


def test_hub_reads_the_regions_of_its_hub_only(client):
    hub = Hub(nom="Hub Est", siret=SIRET_B, laureat=True, regions=[db.session.get(Region, "27")])
    db.session.add(hub)
    db.session.commit()
    utilisateur = make_user(roles.HUB, "hub-est", hub_id=hub.id, region_code="84")
    assert scope_for(utilisateur).regions == frozenset({"27"})  # the hub's régions, not its own field
    commune_participe("39300", "lons@exemple.fr")
    commune_participe("38185", "grenoble@exemple.fr")
    login(client, "hub-est")
    assert client.get("/gouvernance/").headers["Location"].endswith("/gouvernance/departement/39")
    page = client.get("/gouvernance/departement/39").get_data(as_text=True)
    assert '<dd id="compteur-participants-collectivites">1</dd>' in page
    assert 'id="export-contacts"' not in page  # personal data: préfets and ANCT only
    assert client.get("/gouvernance/departement/39/contacts.csv").status_code == 403
    assert client.get("/gouvernance/departement/38").status_code == 404
    assert client.get("/tableau-de-bord/departement/39").status_code == 200


def test_anct_manages_hubs_grant_capped_at_40000(client):
    make_user(roles.ANCT, "anct")
    hub_user = make_user(roles.HUB, "hub-user")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "anct")
    form = client.get("/hubs/add")
    assert form.status_code == 200
    assert "Subvention annuelle" in form.get_data(as_text=True)
    data = {"csrf_token": csrf_token(form.get_data(as_text=True)), "nom": "Hub Sud", "siret": SIRET_B,
            "regions": ["84"], "laureat": "y", "date_notification": "2023-10-09", "subvention_annuelle": "45000",
            "postes_coordinateur_regional": "2", "utilisateurs": [str(hub_user.id)]}
    refus = client.post("/hubs/add", data=data)
    assert "40 000" in refus.get_data(as_text=True)
    assert db.session.scalar(select(Hub)) is None
    sans_region = client.post("/hubs/add", data={k: v for k, v in {**data, "subvention_annuelle": "40000"}.items()
                                                 if k != "regions"}, follow_redirects=True)
    assert "Choisissez au moins une région." in sans_region.get_data(as_text=True)
    assert db.session.scalar(select(Hub)) is None
    client.post("/hubs/add", data={**data, "subvention_annuelle": "40000"})
    hub = db.session.scalar(select(Hub))
    assert hub is not None and [r.code for r in hub.regions] == ["84"] and hub.laureat
    db.session.expire_all()
    assert db.session.get(type(hub_user), hub_user.id).hub_id == hub.id
    liste = client.get("/hubs/list/").get_data(as_text=True)
    assert "Hub Sud" in liste and "Auvergne-Rhône-Alpes" in liste
    client.get("/logout/")
    login(client, "prefet-38")
    assert client.get("/hubs/list/").status_code == 403


def test_database_refuses_a_grant_above_40000():
    from decimal import Decimal

    from sqlalchemy.exc import IntegrityError

    db.session.add(Hub(nom="Trop", subvention_annuelle=Decimal("40000.01")))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
