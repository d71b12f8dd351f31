"""Deterministic demo data: `flask --app app demo seed [--scale N]`.

The base demo covers several départements of Auvergne-Rhône-Alpes and Bourgogne-Franche-Comté
(and Paris, to show what a préfet does *not* see), with one account per role. `--scale N` adds
volume toward N × the national programme (≈ 3,000 structures and 4,000 conseillers at N=1),
inserted in bulk, for benchmarks.
"""

import os
import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, insert, select

from app.extensions import db
from app.models import Commune, Conseiller, Contrat, Departement, Epci, Structure, Utilisateur
from app.security import roles

DEMO_PASSWORD_DEFAULT = "Demo-FNE-2023!"
DEMO_DEPARTEMENTS = ["38", "74", "26", "42", "39", "69", "73", "25", "21", "75"]

PRENOMS = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Lucas", "Hugo", "Louis",
           "Nathan", "Thomas", "Théo", "Antoine", "Nicolas", "Jean-Claude", "Sophie", "Karim", "Yasmine",
           "Mathilde", "Pierre", "Élodie", "Mehdi", "Aurélie", "Baptiste", "Fatou", "Quentin", "Marion", "Rémi"]
NOMS = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
        "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Gislais", "Herriot"]
ASSOCIATIONS = ["Maison des habitants MJC", "Association Numérique Solidaire", "Centre social Les Tilleuls",
                "Espace public numérique", "Emmaüs Connect", "Fondation des Médiateurs", "La Ressourcerie connectée",
                "Maison France Services", "Tiers-lieu La Fabrique", "Régie de quartier"]
FONCTIONS = ["Directeur général des services", "Chargée de mission inclusion numérique", "Président",
             "Directrice", "Responsable du pôle solidarités", "Secrétaire générale"]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def _siret(rng: random.Random, siren: str | None = None) -> str:
    """A valid SIRET: its SIREN and the whole number both carry their Luhn check digit."""
    from stdnum import luhn
    from stdnum.fr import siren as stdnum_siren

    if siren is None or not stdnum_siren.is_valid(siren):
        body = f"{rng.randrange(1, 10**8):08d}"
        siren = body + luhn.calc_check_digit(body)
    base = siren + f"{rng.randrange(10000):04d}"
    return base + luhn.calc_check_digit(base)


class _Unique:
    """SIRETs and emails must be unique across the data set."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.sirets: set[str] = set(db.session.scalars(select(Structure.siret).where(Structure.siret.isnot(None))))

    def siret(self, siren: str | None = None) -> str:
        value = _siret(self.rng, siren)
        while value in self.sirets:
            value = _siret(self.rng, None)
        self.sirets.add(value)
        return value


def _communes_by_departement(codes: list[str]) -> dict[str, list[Commune]]:
    rows = db.session.scalars(
        select(Commune).where(Commune.departement_code.in_(codes)).order_by(Commune.population.desc().nullslast())
    ).all()
    result: dict[str, list[Commune]] = {code: [] for code in codes}
    for commune in rows:
        result[commune.departement_code].append(commune)
    return result


def _structure_rows(rng: random.Random, unique: _Unique, departements: list[Departement], count: int,
                    communes: dict[str, list[Commune]], epcis: dict[str, list[Epci]]) -> list[dict]:
    types = ["commune"] * 40 + ["privee"] * 35 + ["epci"] * 12 + ["departement"] * 4 + ["region"] * 1 + \
        ["collectivite_statut_particulier"] * 2 + ["gip"] * 6
    rows = []
    for i in range(count):
        dep = departements[i % len(departements)]
        pool = communes.get(dep.code) or []
        commune = pool[min(int(rng.expovariate(1 / 15)), len(pool) - 1)] if pool else None
        kind = rng.choice(types)
        if kind == "commune" and commune is not None:
            nom, siret = f"Commune de {commune.nom}", unique.siret(commune.siren)
        elif kind == "epci" and epcis.get(dep.code):
            epci = rng.choice(epcis[dep.code])
            nom, siret = epci.nom, unique.siret(epci.code)
        elif kind == "departement":
            nom, siret = f"Conseil départemental — {dep.nom}", unique.siret()
        elif kind == "region":
            nom, siret = f"Conseil régional — {dep.region.nom}", unique.siret()
        else:
            kind = "privee" if kind in ("commune", "epci") else kind
            ville = commune.nom if commune else dep.nom
            nom, siret = f"{rng.choice(ASSOCIATIONS)} {ville}", unique.siret()
        cp = commune.codes_postaux.split(",")[0] if commune and commune.codes_postaux else f"{dep.code[:2]}000"
        prenom, nom_contact = rng.choice(PRENOMS), rng.choice(NOMS)
        rows.append(dict(
            nom=nom.upper() if kind == "privee" else nom, type=kind, siret=siret,
            adresse=f"{rng.randint(1, 120)} rue {rng.choice(['de la République', 'Jean Jaurès', 'Victor Hugo', 'des Écoles', 'du Marché'])}",
            code_postal=cp, commune_code=commune.code if commune else None, departement_code=dep.code,
            region_code=dep.region_code, statut="validee", postes_finances=rng.choice([1, 1, 1, 2, 2, 3, 4]),
            postes_coordinateur=0, contact_prenom=prenom, contact_nom=nom_contact,
            contact_fonction=rng.choice(FONCTIONS),
            contact_email=f"{_slug(prenom)}.{_slug(nom_contact)}.{i}@structure-demo.fr",
            contact_telephone=f"04{rng.randrange(10**8):08d}",
        ))
    return rows


def _slug(text: str) -> str:
    from app.territoires.recherche import normaliser

    return normaliser(text).replace(" ", "-")


def _bulk_insert(model, rows: list[dict], batch: int = 5000) -> None:
    for start in range(0, len(rows), batch):
        db.session.execute(insert(model), rows[start:start + batch])


def _conseillers_and_contrats(rng: random.Random, structures: list[tuple[int, int]], per_structure: Callable,
                              email_prefix: str) -> None:
    """Conseillers in post with their contract; a share of them coordinators."""
    start_id = (db.session.scalar(select(func.max(Conseiller.id))) or 0) + 1
    conseillers, contrats = [], []
    next_id = start_id
    for structure_id, postes in structures:
        for _ in range(per_structure(postes)):
            prenom, nom = rng.choice(PRENOMS), rng.choice(NOMS)
            debut = date(2021, 1, 4) + timedelta(days=rng.randrange(900))
            type_contrat = rng.choice(["cdd", "cdd", "cdd", "cdi", "pec", "contrat_projet_public"])
            fin = None if type_contrat == "cdi" else debut + timedelta(days=rng.choice([365, 730, 1095]))
            conseillers.append(dict(
                id=next_id, prenom=prenom, nom=nom, email_pro=f"{email_prefix}{next_id}@conseiller-numerique.fr",
                telephone_pro=f"06{rng.randrange(10**8):08d}", statut="actif", structure_id=structure_id,
                date_prise_poste=debut, est_coordinateur=False,
            ))
            contrats.append(dict(
                structure_id=structure_id, conseiller_id=next_id, type_contrat=type_contrat, date_debut=debut,
                date_fin=fin, salaire_brut_mensuel=Decimal(rng.choice(["1850.00", "1950.00", "2100.00", "2300.00"])),
                statut="valide", est_coordinateur=False,
            ))
            next_id += 1
    _bulk_insert(Conseiller, conseillers)
    _bulk_insert(Contrat, contrats)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("SELECT setval('conseiller_id_seq', (SELECT MAX(id) FROM conseiller))"))


def _user(username: str, role: str, first: str, last: str, **territory) -> Utilisateur:
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username=username, first_name=first, last_name=last, email=f"{username}@demo.anct.gouv.fr",
                           role=sm.find_role(role), password=demo_password())
    for key, value in territory.items():
        setattr(user, key, value)
    return user


def seed_base(rng: random.Random) -> list[Structure]:
    departements = db.session.scalars(select(Departement).where(Departement.code.in_(DEMO_DEPARTEMENTS))
                                      .order_by(Departement.code)).all()
    if not departements:
        raise click.ClickException("Aucun département : lancez d'abord « flask --app app territoires import ».")
    communes = _communes_by_departement([d.code for d in departements])
    epcis: dict[str, list[Epci]] = {}
    for epci, dep in db.session.execute(
        select(Epci, Commune.departement_code).join(Commune, Commune.epci_code == Epci.code)
        .where(Commune.departement_code.in_([d.code for d in departements])).distinct()
    ):
        epcis.setdefault(dep, []).append(epci)
    unique = _Unique(rng)
    rows = _structure_rows(rng, unique, departements, 6 * len(departements), communes, epcis)
    _bulk_insert(Structure, rows)
    db.session.flush()
    structures = db.session.scalars(select(Structure).order_by(Structure.id)).all()
    _conseillers_and_contrats(rng, [(s.id, s.postes_finances) for s in structures], lambda p: p, "demo.")
    # Conseillers looking for a post (no structure yet): only national users see them.
    db.session.add_all(Conseiller(prenom=rng.choice(PRENOMS), nom=rng.choice(NOMS), statut="en_recrutement",
                                  email_pro=f"candidat.{i}@conseiller-numerique.fr") for i in range(5))

    _user("anct", roles.ANCT, "Julia", "Herriot")
    _user("prefet-38", roles.PREFET_DEPARTEMENT, "Léa", "Gislais", departement_code="38")
    _user("prefet-74", roles.PREFET_DEPARTEMENT, "Marc", "Dufour", departement_code="74")
    _user("prefet-ara", roles.PREFET_REGION, "Hélène", "Roche", region_code="84")
    _user("bdt", roles.BANQUE_DES_TERRITOIRES, "Paul", "Caisse")
    for structure in structures:
        _user(f"structure-{structure.id}", roles.STRUCTURE, structure.contact_prenom, structure.contact_nom,
              structure_id=structure.id)
    db.session.flush()
    return structures


def seed_scale(rng: random.Random, scale: float) -> int:
    """Bulk volume over every département, toward `scale` × the national programme."""
    departements = db.session.scalars(select(Departement).where(Departement.est_com.is_(False))).all()
    communes = _communes_by_departement([d.code for d in departements])
    unique = _Unique(rng)
    count = int(3000 * scale)
    rows = _structure_rows(rng, unique, departements, count, communes, {})
    for row in rows:
        row["contact_email"] = row["contact_email"].replace("@structure-demo.fr", "@volume.structure-demo.fr")
    _bulk_insert(Structure, rows)
    db.session.flush()
    ids = db.session.execute(
        select(Structure.id, Structure.postes_finances).where(Structure.contact_email.like("%@volume.structure-demo.fr"))
    ).all()
    # ≈ 4,000 conseillers for 3,000 structures.
    _conseillers_and_contrats(rng, [(i, p) for i, p in ids], lambda p: 1 + (rng.random() < 0.34), "volume.")
    return count


def seed(scale: float = 0) -> list[str]:
    rng = random.Random(2023)
    if db.session.scalar(select(Utilisateur).where(Utilisateur.username == "anct")) is None:
        structures = seed_base(rng)
        for extend in DEMO_EXTENSIONS:
            extend(structures, rng)
        db.session.commit()
    if scale:
        already = db.session.scalar(select(func.count()).select_from(Structure)
                                    .where(Structure.contact_email.like("%@volume.structure-demo.fr")))
        if already:
            click.echo(f"Volume déjà présent ({already} structures) : rien à ajouter.")
        else:
            seed_scale(rng, scale)
            for extend in SCALE_EXTENSIONS:
                extend(scale, rng)
            db.session.commit()
    return accounts()


# Feature modules append their demo data here: callable(structures, rng) / callable(scale, rng).
DEMO_EXTENSIONS: list[Callable] = []
SCALE_EXTENSIONS: list[Callable] = []


def accounts() -> list[str]:
    users = db.session.scalars(select(Utilisateur).order_by(Utilisateur.id)).all()
    return [f"{u.username:<16} {', '.join(r.name for r in u.roles):<24} {u.territoire_label}" for u in users]


demo_cli = AppGroup("demo", help="Données de démonstration.")


@demo_cli.command("seed")
@click.option("--scale", type=float, default=0, help="Volume : N × le programme national (≈ 3 000 structures à N=1).")
def seed_command(scale: float) -> None:
    """Crée les données de démonstration (idempotent)."""
    lines = seed(scale)
    click.echo(f"Comptes de démonstration (mot de passe : {demo_password()}) :")
    for line in lines[:12]:
        click.echo("  " + line)
    if len(lines) > 12:
        click.echo(f"  … et {len(lines) - 12} autres comptes structure-<id> (un par structure de démonstration).")
