"""Demo coordinator requests, in every state, for the demo seed (`app/demo.py`).

Rows are written as the workflow would leave them (history, avis, decision, posts, structure
counters and statuses, submitted motivation answers pinned to the form's current version) but
without emails: nobody real should be written to. Deterministic for a given `rng`. Flushes; the
caller commits.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, insert, select, update

from app.candidatures.models import Candidature, CandidatureTransition
from app.candidatures.workflow import FORMULAIRE_MOTIVATION, OBJET_CANDIDATURE, contrat_actif
from app.demo import DEMO_EXTENSIONS, SCALE_EXTENSIONS
from app.extensions import db
from app.models.structures import Conseiller, Structure
from app.models.utilisateurs import Utilisateur
from app.security import roles

# The states every screen should have something to show for, in rotation over the structures.
ETATS = ["nouvelle", "nouvelle_favorable", "validee", "nouvelle_defavorable", "refusee", "validee_occupee",
         "brouillon", "nouvelle", "refusee_candidate", "validee_candidate", "nouvelle_favorable"]

COMMENTAIRES_FAVORABLES = [
    "Structure déjà très impliquée dans la médiation numérique du territoire, projet cohérent avec la gouvernance.",
    "Partenaires identifiés et engagés ; le périmètre proposé couvre un bassin de vie sans coordination.",
    "Candidature solide, portée par la collectivité avec l'appui des acteurs locaux.",
]
COMMENTAIRES_DEFAVORABLES = [
    "Recoupe le périmètre d'un coordinateur déjà en poste ; à articuler avec la gouvernance départementale.",
    "Projet encore peu concerté avec les structures à coordonner.",
]
ZONES = ["Communauté d'agglomération", "Bassin de vie", "Département", "Communauté de communes"]


def _moment(rng: random.Random, debut: datetime, jours: int) -> datetime:
    return debut + timedelta(days=rng.randrange(jours), hours=rng.randrange(8, 18), minutes=rng.randrange(60))


def _auteurs() -> dict:
    def premier(role: str, **where):
        query = select(Utilisateur).join(Utilisateur.roles).where(Role.name == role)
        for key, value in where.items():
            query = query.where(getattr(Utilisateur, key) == value)
        return db.session.scalars(query.order_by(Utilisateur.id)).first()

    return {"anct": premier(roles.ANCT), "prefet": {}, "premier": premier}


def _prefet(auteurs: dict, structure: Structure):
    cache = auteurs["prefet"]
    if structure.departement_code not in cache:
        cache[structure.departement_code] = (
            auteurs["premier"](roles.PREFET_DEPARTEMENT, departement_code=structure.departement_code)
            or auteurs["premier"](roles.PREFET_REGION, region_code=structure.region_code))
    return cache[structure.departement_code]


def _nom(user, defaut: str) -> str:
    if user is None:
        return defaut
    return f"{user.first_name} {user.last_name} ({', '.join(sorted(r.name for r in user.roles))})"


def _reponses_motivation(rng: random.Random, structure: Structure) -> dict:
    coordination = rng.random() < 0.6
    reponses = {
        "structure_nom": structure.nom, "contact_prenom": structure.contact_prenom or "Camille",
        "contact_nom": structure.contact_nom or "Martin", "contact_email": structure.contact_email or
        "contact@structure-demo.fr",
        "strategie_inclusion": rng.choice([
            "Action de coordination territoriale avec les France Services et les médiathèques.",
            "Schéma départemental d'inclusion numérique adopté en 2022 ; ateliers dans 12 communes.",
            "Pas encore de stratégie formalisée : elle sera construite avec la gouvernance France Numérique Ensemble."]),
        "dispositif_conseiller_numerique": rng.choice(["beneficie", "a_beneficie", "jamais"]),
        "raisons_candidature": "Structurer l'action des médiateurs numériques du territoire et suivre la feuille "
                               "de route locale.",
        "coordination_existante": coordination,
        "positionnement_coordinateur": "Rattaché à la direction, en lien avec le service des solidarités.",
        "zone_geographique": f"{rng.choice(ZONES)} autour de {structure.commune.nom if structure.commune else 'la ville'}",
        "echelon_geographique": rng.choice(["bassin_de_vie", "departemental"]),
        "nombre_structures": rng.randrange(5, 60),
        "adhesion_structures": rng.random() < 0.7,
    }
    if structure.siret:
        reponses["structure_siret"] = structure.siret
    if coordination:
        reponses["structures_collaboration"] = "Mairie, centre social, médiathèque intercommunale."
    return reponses


def _motivation(rng: random.Random, candidature: Candidature, structure: Structure, quand: datetime) -> None:
    from app.formulaires import service
    from app.formulaires.definition import champs_par_cle
    from app.formulaires.models import Soumission

    version = service.current_version(FORMULAIRE_MOTIVATION)
    cles = champs_par_cle(version.definition)
    reponses = {k: v for k, v in _reponses_motivation(rng, structure).items() if k in cles}
    db.session.add(Soumission(form_version=version, form_id=FORMULAIRE_MOTIVATION, statut="soumise",
                              reponses=reponses, created_at=quand - timedelta(minutes=11), updated_at=quand,
                              soumise_le=quand, respondent_email=structure.contact_email or None,
                              objet_type=OBJET_CANDIDATURE, objet_id=candidature.id))


def _journal(candidature: Candidature, evenement: str, de, vers: str, auteur_nom: str, quand: datetime,
             commentaire: str = "", auteur=None) -> None:
    db.session.add(CandidatureTransition(
        candidature_id=candidature.id, structure_id=candidature.structure_id, evenement=evenement, de=de, vers=vers,
        auteur_id=getattr(auteur, "id", None), auteur_nom=auteur_nom[:255], commentaire=commentaire,
        created_at=quand))


def _postes_historiques(structures: list[Structure], rng: random.Random, anct, debut: datetime) -> None:
    """Coordinators already in post (other demo data) came from a validated request: write it, so that
    active coordinators never exceed validated posts, as the rules require."""
    ids = [s.id for s in structures]
    occupes = set(db.session.scalars(select(Candidature.coordinateur_id).where(
        Candidature.coordinateur_id.is_not(None))))
    coordinateurs = db.session.scalars(
        select(Conseiller).where(Conseiller.structure_id.in_(ids), Conseiller.est_coordinateur.is_(True),
                                 Conseiller.statut == "actif").order_by(Conseiller.id))
    for conseiller in coordinateurs:
        if conseiller.id in occupes:
            continue
        structure = conseiller.structure
        depot = _moment(rng, debut - timedelta(days=400), 120)
        decision = depot + timedelta(days=rng.randrange(20, 60))
        candidature = Candidature(structure_id=structure.id, statut="validee", origine="tableau_de_pilotage",
                                  date_candidature=depot, decision_le=decision, decision_par_id=getattr(anct, "id", None),
                                  decision_vue_le=decision + timedelta(days=2), poste="occupe",
                                  coordinateur_id=conseiller.id, created_at=depot - timedelta(days=2))
        db.session.add(candidature)
        db.session.flush()
        _motivation(rng, candidature, structure, depot)
        _journal(candidature, "creation", None, "brouillon", f"{structure.contact_prenom} {structure.contact_nom} "
                 "(Structure)", depot - timedelta(days=2))
        _journal(candidature, "motivation", "brouillon", "nouvelle", "Structure (lien personnel)", depot)
        _journal(candidature, "decision", "nouvelle", "validee", _nom(anct, "ANCT"), decision, auteur=anct)
        _journal(candidature, "role_attribue", "validee", "validee", f"{structure.contact_prenom} "
                 f"{structure.contact_nom} (Structure)", decision + timedelta(days=10),
                 f"Rôle de coordinateur attribué à {conseiller.nom_complet}.")
        valides = db.session.scalar(select(func.count(Candidature.id)).where(
            Candidature.structure_id == structure.id, Candidature.statut == "validee",
            Candidature.poste != "rendu"))
        structure.postes_coordinateur = max(structure.postes_coordinateur or 0, valides)
        if structure.statut == "candidate":
            structure.statut = "validee"


def seed_candidatures(structures: list[Structure], rng: random.Random, *, debut: datetime | None = None
                      ) -> list[Candidature]:
    """One request per structure (those without an open one), cycling through every state: draft, new
    without avis, new with a favorable or unfavorable avis, validated (post vacant or occupied), refused
    — for programme structures and for applicants (statut « candidate », then validated or refused).
    Coordinators already in post get the validated request they came from. Run it after the other demo
    extensions that name coordinators."""
    debut = debut or datetime(2023, 8, 1, 8, tzinfo=UTC)
    auteurs = _auteurs()
    anct = auteurs["anct"]
    _postes_historiques(structures, rng, anct, debut)
    deja = set(db.session.scalars(select(Candidature.structure_id).where(
        Candidature.statut.in_(("brouillon", "nouvelle")))))
    creees = []
    for index, structure in enumerate(s for s in structures if s.id not in deja and s.statut != "inactive"):
        etat = ETATS[index % len(ETATS)]
        candidate = etat.endswith("_candidate") or (etat.startswith("nouvelle") and index % 4 == 3)
        if candidate and db.session.scalar(select(func.count(Candidature.id)).where(
                Candidature.structure_id == structure.id, Candidature.statut == "validee")):
            candidate = False  # already in the programme with a coordinator post
        if candidate:
            structure.statut = "candidate"
        origine = "publique" if candidate else "tableau_de_pilotage"
        cree = _moment(rng, debut, 90)
        candidature = Candidature(structure_id=structure.id, statut="brouillon", origine=origine, created_at=cree)
        db.session.add(candidature)
        db.session.flush()
        _journal(candidature, "creation", None, "brouillon",
                 "Structure (formulaire public)" if candidate else _nom(None, f"{structure.contact_prenom} "
                                                                          f"{structure.contact_nom} (Structure)"),
                 cree)
        creees.append(candidature)
        if etat == "brouillon":
            continue
        depot = cree + timedelta(days=rng.randrange(1, 12), hours=rng.randrange(1, 6))
        candidature.statut, candidature.date_candidature = "nouvelle", depot
        _motivation(rng, candidature, structure, depot)
        _journal(candidature, "motivation", "brouillon", "nouvelle", "Structure (lien personnel)", depot)
        prefet = _prefet(auteurs, structure)
        avis = {"nouvelle_favorable": "favorable", "nouvelle_defavorable": "defavorable",
                "validee_occupee": "favorable", "validee": "favorable" if index % 2 else None,
                "refusee": "defavorable", "refusee_candidate": None, "validee_candidate": "favorable"}.get(etat)
        moment = depot
        if avis and prefet is not None:
            moment = depot + timedelta(days=rng.randrange(2, 20))
            texte = rng.choice(COMMENTAIRES_FAVORABLES if avis == "favorable" else COMMENTAIRES_DEFAVORABLES)
            candidature.avis, candidature.avis_commentaire = avis, texte
            candidature.avis_par_id, candidature.avis_le = prefet.id, moment
            _journal(candidature, "avis", "nouvelle", "nouvelle", _nom(prefet, "Préfecture"), moment,
                     f"Avis {'favorable' if avis == 'favorable' else 'défavorable'} : {texte}", prefet)
        if etat.startswith("nouvelle"):
            continue
        decision = "validee" if etat.startswith("validee") else "refusee"
        quand = moment + timedelta(days=rng.randrange(3, 25))
        candidature.statut, candidature.decision_le = decision, quand
        candidature.decision_par_id = getattr(anct, "id", None)
        candidature.decision_vue_le = quand + timedelta(days=1) if index % 3 else None
        _journal(candidature, "decision", "nouvelle", decision, _nom(anct, "ANCT"), quand, auteur=anct)
        if decision == "refusee":
            if structure.statut == "candidate":
                structure.statut = "refus_coordinateur"
            continue
        candidature.poste = "vacant"
        structure.postes_coordinateur = (structure.postes_coordinateur or 0) + 1
        structure.statut = "validee"
        if etat == "validee_occupee":
            eligible = next((c for c in db.session.scalars(
                select(Conseiller).where(Conseiller.structure_id == structure.id, Conseiller.statut == "actif",
                                         Conseiller.est_coordinateur.is_(False)).order_by(Conseiller.id))
                if contrat_actif(c, structure, date.today()) is not None), None)
            if eligible is not None:
                attribue = quand + timedelta(days=rng.randrange(5, 40))
                candidature.poste, candidature.coordinateur_id = "occupe", eligible.id
                eligible.est_coordinateur = True
                contrat_actif(eligible, structure, date.today()).est_coordinateur = True
                _journal(candidature, "role_attribue", "validee", "validee",
                         f"{structure.contact_prenom} {structure.contact_nom} (Structure)", attribue,
                         f"Rôle de coordinateur attribué à {eligible.nom_complet}.")
    db.session.flush()
    return creees


def seed_candidatures_volume(scale: float, rng: random.Random) -> int:
    """Bulk requests over the volume structures (benchmarks): about one structure in three has applied (≈ 10,000 at --scale 10),
    most of them still new. No answers nor history (the lists are what is measured). Returns the count."""
    volume = Structure.contact_email.like("%@volume.structure-demo.fr")
    if db.session.scalar(select(func.count(Candidature.id)).join(Structure).where(volume)):
        return 0  # already there
    ids = list(db.session.scalars(select(Structure.id).where(volume).order_by(Structure.id)))
    rows = []
    debut = datetime(2023, 8, 1, 8, tzinfo=UTC)
    for structure_id in ids:
        if rng.random() > 1 / 3:
            continue
        statut = rng.choices(["nouvelle", "validee", "refusee"], weights=[6, 3, 1])[0]
        depot = _moment(rng, debut, 120)
        avis = rng.choice([None, None, "favorable", "defavorable"])
        rows.append({
            "structure_id": structure_id, "statut": statut, "origine": "tableau_de_pilotage",
            "date_candidature": depot, "avis": avis, "avis_commentaire": "Avis de démonstration" if avis else None,
            "avis_le": depot + timedelta(days=7) if avis else None, "decision_commentaire": "",
            "decision_le": depot + timedelta(days=30) if statut != "nouvelle" else None,
            "poste": "vacant" if statut == "validee" else None, "created_at": depot, "updated_at": depot,
        })
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Candidature), rows[start:start + 5000])
    valides = [r["structure_id"] for r in rows if r["statut"] == "validee"]
    for start in range(0, len(valides), 5000):
        db.session.execute(update(Structure).where(Structure.id.in_(valides[start:start + 5000]))
                           .values(postes_coordinateur=Structure.postes_coordinateur + 1)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    return len(rows)


def compter() -> dict[str, int]:
    return dict(db.session.execute(select(Candidature.statut, func.count(Candidature.id))
                                   .group_by(Candidature.statut)).all())


# Registered after app.statistiques (app.views.FEATURES order): its demo names the coordinators in post,
# which get a matching validated request here so the quota holds.
DEMO_EXTENSIONS.append(seed_candidatures)
SCALE_EXTENSIONS.append(seed_candidatures_volume)
