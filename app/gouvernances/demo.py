"""Demo data of the gouvernances package (`flask --app app demo seed`).

The 2023 calendar has passed: the demo moves its deadlines ahead of today so every screen can be
tried. Participation forms of each persona and intention (sent, so the préfets' counters show real
figures; one draft and one cancelled form too), gouvernances pressenties through the form engine,
one AMI hub with its account, and a few lieux de médiation numérique for the dashboard.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy import select

from app import demo
from app.extensions import db
from app.gouvernances import calendrier
from app.gouvernances.models import (
    Hub,
    LieuImport,
    LieuMediation,
    Participation,
    ParticipationContact,
    ParticipationMembre,
    ParticipationPartenaire,
)
from app.gouvernances.participation import hash_jeton, hors_territoire, nom_officiel
from app.models.base import utcnow
from app.models.structures import Structure
from app.models.territoires import Commune, Departement, Epci, Region
from app.models.utilisateurs import Utilisateur
from app.security import roles


def _valide(siret: str | None) -> bool:
    from stdnum.fr import siret as stdnum_siret

    return bool(siret) and stdnum_siret.is_valid(siret)


def _contact(rng: random.Random, role: str, domaine: str) -> ParticipationContact:
    prenom, nom = rng.choice(demo.PRENOMS), rng.choice(demo.NOMS)
    fonction = {"politique": rng.choice(["Maire", "Vice-président chargé du numérique", "Adjointe au numérique",
                                         "Président"]),
                "technique": rng.choice(["Chargée de mission inclusion numérique", "Directeur des systèmes d'information",
                                         "Cheffe de projet numérique"]),
                "structure": rng.choice(demo.FONCTIONS)}[role]
    return ParticipationContact(role=role, prenom=prenom, nom=nom, fonction=fonction,
                                email=f"{demo._slug(prenom)}.{demo._slug(nom)}@{domaine}")


def _participation(rng: random.Random, persona: str, intention: str, *, quand, statut: str = "envoye",
                   collectivite: tuple[str, str, str] | None = None, departement: Departement | None = None,
                   structure: Structure | None = None) -> Participation:
    prenom, nom = rng.choice(demo.PRENOMS), rng.choice(demo.NOMS)
    p = Participation(jeton_hash=hash_jeton(secrets.token_urlsafe(16)), persona=persona, intention=intention,
                      statut=statut, demandeur_nom=f"{prenom} {nom}",
                      demandeur_email=f"{demo._slug(prenom)}.{demo._slug(nom)}@participation-demo.fr",
                      created_at=quand - timedelta(days=2), envoye_le=quand if statut != "brouillon" else None)
    if collectivite is not None:
        type_, code, nom_territoire = collectivite
        p.collectivite_type, p.collectivite_code = type_, code
        p.collectivite_nom = nom_officiel(type_, nom_territoire)
        if type_ == "region":
            p.region_code = code
        elif type_ == "departement":
            p.departement_code, p.region_code = code, db.session.get(Departement, code).region_code
        elif type_ == "commune":
            commune = db.session.get(Commune, code)
            p.departement_code, p.region_code = commune.departement_code, commune.region_code
        p.contacts.append(_contact(rng, "politique", "collectivite-demo.fr"))
        if rng.random() < 0.6:
            p.contacts.append(_contact(rng, "technique", "collectivite-demo.fr"))
    else:
        p.structure_nom = structure.nom if structure else f"{rng.choice(demo.ASSOCIATIONS)} {departement.nom}"
        p.structure_siret = structure.siret if structure and _valide(structure.siret) else None
        p.structure_sans_siret = p.structure_siret is None
        p.departement_code, p.region_code = departement.code, departement.region_code
        p.contacts.append(_contact(rng, "structure", "structure-demo.fr"))
    db.session.add(p)
    return p


def _porteur(rng: random.Random, p: Participation, membres: list[tuple[str, str, str]],
             partenaires: list[Structure]) -> None:
    p.dispositifs_existants = rng.choice([
        "Schéma directeur d'usages numériques (SDUN) adopté en 2022 ; volet inclusion numérique du CRTE.",
        "Contrat de relance et de transition écologique (CRTE) avec un axe « numérique pour tous ».",
        "Réseau local des conseillers numériques animé depuis 2021, Pass numériques distribués par le CCAS."])
    for type_, code, nom in membres:
        membre = ParticipationMembre(type=type_, code=code, nom=nom_officiel(type_, nom),
                                     hors_territoire=hors_territoire(p.collectivite_type, p.collectivite_code,
                                                                     type_, code))
        if rng.random() < 0.5:
            prenom, nom_contact = rng.choice(demo.PRENOMS), rng.choice(demo.NOMS)
            membre.contact_prenom, membre.contact_nom = prenom, nom_contact
            membre.contact_fonction = "Élu chargé du numérique"
            membre.contact_email = f"{demo._slug(prenom)}.{demo._slug(nom_contact)}@collectivite-demo.fr"
        p.membres.append(membre)
    for structure in partenaires:
        p.partenaires.append(ParticipationPartenaire(
            nom=structure.nom, siret=structure.siret if _valide(structure.siret) else None,
            contact_prenom=structure.contact_prenom,
            contact_nom=structure.contact_nom, contact_fonction=structure.contact_fonction,
            contact_email=structure.contact_email))
    p.etape_contacts_membres_faite = True


def gouvernances_demo(structures: list[Structure], rng: random.Random) -> None:
    calendrier.decaler_pour_demo()
    maintenant = utcnow()
    par_dep: dict[str, list[Structure]] = {}
    for s in structures:
        par_dep.setdefault(s.departement_code, []).append(s)
    departements = db.session.scalars(select(Departement).where(Departement.code.in_(demo.DEMO_DEPARTEMENTS))
                                      .order_by(Departement.code)).all()
    for dep in departements:
        communes = db.session.scalars(select(Commune).where(Commune.departement_code == dep.code)
                                      .order_by(Commune.population.desc().nullslast()).limit(12)).all()
        epcis = db.session.scalars(select(Epci).where(Epci.code.in_(
            select(Commune.epci_code).where(Commune.departement_code == dep.code))).order_by(Epci.population.desc())
            .limit(6)).all()
        locales = par_dep.get(dep.code, [])
        privees = [s for s in locales if s.type in ("privee", "gip")] or locales

        def quand():
            return maintenant - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 23))

        # The conseil départemental leads a roadmap: EPCIs and communes of its territory, one outside.
        porteur = _participation(rng, "conseil_departemental", "porter", quand=quand(),
                                 collectivite=("departement", dep.code, dep.nom))
        membres = [("epci", e.code, e.nom) for e in epcis[:3]] + [("commune", c.code, c.nom) for c in communes[:2]]
        voisine = db.session.scalar(select(Commune).where(Commune.departement_code != dep.code,
                                                          Commune.region_code == dep.region_code)
                                    .order_by(Commune.population.desc().nullslast()).limit(1))
        if voisine is not None:
            membres.append(("commune", voisine.code, voisine.nom))  # hors territoire
        _porteur(rng, porteur, membres, rng.sample(privees, min(2, len(privees))))
        # An EPCI leads another one, with its communes.
        if epcis:
            epci = epcis[0]
            porteur_epci = _participation(rng, "epci", "porter", quand=quand(), collectivite=("epci", epci.code, epci.nom))
            communes_epci = db.session.scalars(select(Commune).where(Commune.epci_code == epci.code)
                                               .order_by(Commune.population.desc().nullslast()).limit(4)).all()
            _porteur(rng, porteur_epci, [("commune", c.code, c.nom) for c in communes_epci],
                     rng.sample(privees, min(1, len(privees))))
            if len(epcis) > 1:
                _participation(rng, "epci", "participer", quand=quand(),
                               collectivite=("epci", epcis[1].code, epcis[1].nom))
        # Communes and structures wish to take part.
        for commune in communes[2:2 + rng.randint(1, 3)]:
            _participation(rng, "commune", "participer", quand=quand(), collectivite=("commune", commune.code, commune.nom))
        for structure in rng.sample(privees, min(len(privees), rng.randint(1, 3))):
            _participation(rng, "structure", "participer", quand=quand(), departement=dep, structure=structure)
        _participation(rng, "structure", "participer", quand=quand(), departement=dep)  # « pas de SIRET »
        if dep.code == "38":
            _participation(rng, "commune", "participer", quand=quand(), statut="brouillon",
                           collectivite=("commune", communes[-1].code, communes[-1].nom))
            annule = _participation(rng, "conseil_departemental", "participer", quand=quand(), statut="annule",
                                    collectivite=("departement", dep.code, dep.nom))
            annule.annule_le = annule.envoye_le + timedelta(hours=3)
    # The conseil régional (concerns every département of the région).
    for code in sorted({d.region_code for d in departements}):
        region = db.session.get(Region, code)
        _participation(rng, "conseil_regional", "participer" if code == "11" else "porter", quand=maintenant - timedelta(days=12),
                       collectivite=("region", region.code, region.nom))
    db.session.flush()

    _pressenties(structures, rng)
    _hub()
    _lieux(rng)


def _pressenties(structures: list[Structure], rng: random.Random) -> None:
    from app.gouvernances import pressenties

    auteurs = {u.departement_code: u for u in db.session.scalars(select(Utilisateur).where(
        Utilisateur.username.in_(["prefet-38", "prefet-74"])))}
    anct = db.session.scalar(select(Utilisateur).where(Utilisateur.username == "anct"))
    from stdnum.fr import siret as stdnum_siret

    par_dep: dict[str, list[Structure]] = {}
    for s in structures:
        if s.siret and stdnum_siret.is_valid(s.siret):  # the form engine checks the SIREN's key too
            par_dep.setdefault(s.departement_code, []).append(s)
    notes = [
        "<p>Les échanges avec le conseil départemental et les EPCI ont commencé en septembre. Un comité de "
        "pilotage est prévu en novembre avec les <strong>principaux acteurs de la médiation numérique</strong>.</p>",
        "<p>La métropole souhaite porter la feuille de route sur son périmètre ; le département coordonnera les "
        "territoires ruraux.</p><ul><li>CRTE en cours</li><li>Réseau des conseillers numériques actif</li></ul>",
    ]
    plan = [("38", "departemental", ("departement", "38")), ("38", "epci", ("epci", "200040715")),
            ("74", "departemental", ("departement", "74")), ("26", "regional", ("region", "84")),
            ("75", "autre", None)]
    for code, perimetre, porteur in plan:
        if db.session.get(Departement, code) is None or (porteur and porteur[0] == "epci"
                                                         and db.session.get(Epci, porteur[1]) is None):
            continue
        sirets = [s.siret for s in rng.sample(par_dep.get(code, []), min(2, len(par_dep.get(code, []))))]
        sirets = sirets or ["22380001200013"]  # the seed's example (Conseil départemental de l'Isère)
        data = {"perimetre": perimetre, "sirets_recruteurs": sirets, "note_contexte": rng.choice(notes)}
        if porteur:
            data["porteur"] = f"{porteur[0]}:{porteur[1]}"
        else:
            data.update(porteur_nom=f"Préfecture de {db.session.get(Departement, code).nom}",
                        porteur_siret=sirets[0])
        pressenties.remonter(code, auteurs.get(code) or anct, pressenties.brut_depuis_json(data))


def _hub() -> None:
    if db.session.scalar(select(Hub).where(Hub.nom == "Hub numérique Auvergne-Rhône-Alpes")) is not None:
        return
    from datetime import date
    from decimal import Decimal

    hub = Hub(nom="Hub numérique Auvergne-Rhône-Alpes", siret=demo._siret(random.Random(84)), laureat=True,
              date_notification=date(2023, 10, 9), subvention_annuelle=Decimal("40000"),
              postes_coordinateur_regional=2,
              regions=list(db.session.scalars(select(Region).where(Region.code.in_(["84", "27"])))))
    db.session.add(hub)
    db.session.flush()
    user = demo._user("hub-ara", roles.HUB, "Nadia", "Benali")
    user.hub_id = hub.id
    db.session.flush()


def _lieux(rng: random.Random) -> None:
    if db.session.scalar(select(LieuMediation.id).limit(1)) is not None:
        return
    trace = LieuImport(fichier="démonstration", lignes=0, importes=0, rejetes=0)
    db.session.add(trace)
    db.session.flush()
    types = ["Espace public numérique", "Médiathèque", "Centre social", "France Services", "Tiers-lieu"]
    nombre = 0
    for commune in db.session.scalars(select(Commune).where(Commune.departement_code.in_(demo.DEMO_DEPARTEMENTS))
                                      .order_by(Commune.population.desc().nullslast()).limit(120)):
        for _ in range(rng.randint(1, 3)):
            nombre += 1
            kind = rng.choice(types)
            db.session.add(LieuMediation(
                id=f"demo-{nombre}", nom=f"{kind} de {commune.nom}", code_insee=commune.code, commune=commune.nom,
                code_postal=(commune.codes_postaux or "").split(",")[0][:5], departement_code=commune.departement_code,
                services="aide-aux-demarches-administratives|maitrise-des-outils-numeriques",
                labels="France Services" if kind == "France Services" else
                ("Aidants Connect" if rng.random() < 0.3 else ""),
                france_services=kind == "France Services", aidants_connect=rng.random() < 0.3,
                source="demo", date_maj=(utcnow() - timedelta(days=rng.randint(1, 90))).date(), import_id=trace.id))
    trace.lignes = trace.importes = nombre
    db.session.flush()


def gouvernances_volume(scale: float, rng: random.Random) -> None:
    """Volume: ≈ 1,000 × scale sent participation forms over every département (benchmarks)."""
    departements = db.session.scalars(select(Departement).where(Departement.est_com.is_(False))).all()
    maintenant = utcnow()
    for i in range(int(1000 * scale)):
        dep = departements[i % len(departements)]
        if i % 3 == 0:
            _participation(rng, "structure", "participer", quand=maintenant - timedelta(days=rng.randint(1, 60)),
                           departement=dep)
        else:
            commune = db.session.scalar(select(Commune).where(Commune.departement_code == dep.code)
                                        .offset(rng.randint(0, 20)).limit(1))
            if commune is not None:
                _participation(rng, "commune", "participer", quand=maintenant - timedelta(days=rng.randint(1, 60)),
                               collectivite=("commune", commune.code, commune.nom))
        if i % 500 == 499:
            db.session.flush()
    db.session.flush()


demo.DEMO_EXTENSIONS.append(gouvernances_demo)
demo.SCALE_EXTENSIONS.append(gouvernances_volume)
