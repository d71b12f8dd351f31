"""Builders for test data: real rows in the real database, no mocks."""

import itertools
from datetime import date

from flask import current_app

from app.extensions import db
from app.models import Commune, Conseiller, Contrat, Departement, Epci, Region, Structure, Utilisateur
from app.security import roles

PASSWORD = "Mot-de-passe-test-1"

# A small slice of the real reference data, enough for scope tests (the full set is tested on its own).
REGIONS = [("84", "Auvergne-Rhône-Alpes"), ("27", "Bourgogne-Franche-Comté"), ("11", "Île-de-France"),
           ("94", "Corse")]
DEPARTEMENTS = [("38", "Isère", "84"), ("74", "Haute-Savoie", "84"), ("26", "Drôme", "84"),
                ("42", "Loire", "84"), ("39", "Jura", "27"), ("75", "Paris", "11"), ("2A", "Corse-du-Sud", "94")]
EPCIS = [("200040715", "Grenoble-Alpes-Métropole", "METRO", 445516), ("200066793", "CA du Grand Annecy", "CA", 209620)]
COMMUNES = [
    ("38185", "Grenoble", "38", "84", "200040715", "213801855", "38000,38100", 158240),
    ("38421", "Saint-Martin-d'Hères", "38", "84", "200040715", "213804214", "38400", 38425),
    ("74010", "Annecy", "74", "84", "200066793", "217400100", "74000,74370,74600,74940,74960", 130721),
    ("26362", "Valence", "26", "84", None, "212603627", "26000", 64749),
    ("42218", "Saint-Étienne", "42", "84", None, "214202186", "42000,42100,42230", 173089),
    ("39300", "Lons-le-Saunier", "39", "27", None, "213903009", "39000", 17090),
    ("75056", "Paris", "75", "11", None, "217500016", "75001,75002", 2133111),
    ("2A004", "Ajaccio", "2A", "94", None, "212000046", "20000,20090", 71361),
]

_seq = itertools.count(1)


def load_reference_sample() -> None:
    from app.territoires.recherche import normaliser

    db.session.add_all(Region(code=c, nom=n) for c, n in REGIONS)
    db.session.flush()
    db.session.add_all(Departement(code=c, nom=n, region_code=r) for c, n, r in DEPARTEMENTS)
    db.session.add_all(Epci(code=c, nom=n, type=t, population=p, nom_recherche=normaliser(n)) for c, n, t, p in EPCIS)
    db.session.flush()
    db.session.add_all(
        Commune(code=c, nom=n, departement_code=d, region_code=r, epci_code=e, siren=s, codes_postaux=cp,
                population=p, nom_recherche=normaliser(n))
        for c, n, d, r, e, s, cp, p in COMMUNES
    )
    db.session.commit()


def make_structure(departement: str = "38", **fields) -> Structure:
    n = next(_seq)
    region = db.session.get(Departement, departement).region_code
    values = dict(nom=f"Structure {n} ({departement})", type="commune", code_postal=f"{departement[:2]}000",
                  departement_code=departement, region_code=region, statut="validee", postes_finances=1,
                  contact_prenom="Camille", contact_nom=f"Martin{n}", contact_email=f"contact{n}@exemple.fr")
    values.update(fields)
    structure = Structure(**values)
    db.session.add(structure)
    db.session.commit()
    return structure


def make_conseiller(structure: Structure | None, **fields) -> Conseiller:
    n = next(_seq)
    values = dict(prenom="Alex", nom=f"Conseiller{n}", email_pro=f"conseiller{n}@conseiller-numerique.fr",
                  structure=structure, statut="actif", date_prise_poste=date(2023, 1, 2))
    values.update(fields)
    conseiller = Conseiller(**values)
    db.session.add(conseiller)
    db.session.commit()
    return conseiller


def make_contrat(conseiller: Conseiller, structure: Structure, **fields) -> Contrat:
    values = dict(conseiller=conseiller, structure=structure, type_contrat="cdd", date_debut=date(2023, 1, 2),
                  date_fin=date(2025, 1, 1), statut="valide")
    values.update(fields)
    contrat = Contrat(**values)
    db.session.add(contrat)
    db.session.commit()
    return contrat


def make_user(role: str = roles.ANCT, username: str | None = None, **territory) -> Utilisateur:
    sm = current_app.appbuilder.sm
    username = username or f"user{next(_seq)}"
    user = sm.add_user(username=username, first_name="Prénom", last_name=username, email=f"{username}@exemple.fr",
                       role=sm.find_role(role), password=PASSWORD)
    assert user, f"user {username} not created"
    for key, value in territory.items():
        setattr(user, key, value)
    db.session.commit()
    return user
