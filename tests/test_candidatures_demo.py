"""Demo requests: every state, consistent with the rules (counters, quota, history, answers)."""

import random

from sqlalchemy import func, select

from app.candidatures import workflow
from app.candidatures.demo import compter, seed_candidatures, seed_candidatures_volume
from app.candidatures.models import Candidature, CandidatureTransition
from app.extensions import db
from app.formulaires.models import Soumission
from app.models import Structure
from app.security import roles
from tests.conftest import login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user


def test_demo_requests_cover_every_state_and_respect_the_rules(client):
    from datetime import date, timedelta

    make_user(roles.ANCT, "anct")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")
    structures = [make_structure(dep) for dep in ["38", "74", "26", "42", "39"] * 5]
    for s in structures:
        c = make_conseiller(s)
        make_contrat(c, s, date_debut=date.today() - timedelta(days=60), date_fin=date.today() + timedelta(days=200))
    # A coordinator already in post (other demo data): it gets the validated request it came from.
    ancien = make_conseiller(structures[0], est_coordinateur=True)
    make_contrat(ancien, structures[0], date_debut=date.today() - timedelta(days=400),
                 date_fin=date.today() + timedelta(days=200))
    structures[0].postes_coordinateur = 1
    db.session.commit()
    seed_candidatures(structures, random.Random(2023))
    db.session.commit()
    assert db.session.scalar(select(Candidature.poste).where(Candidature.coordinateur_id == ancien.id)) == "occupe"

    etats = compter()
    assert set(etats) == {"brouillon", "nouvelle", "validee", "refusee"}
    avis = dict(db.session.execute(select(Candidature.avis, func.count()).where(Candidature.statut == "nouvelle")
                                   .group_by(Candidature.avis)).all())
    assert avis.get(None) and avis.get("favorable") and avis.get("defavorable")
    postes = {p for (p,) in db.session.execute(select(Candidature.poste).where(Candidature.statut == "validee"))}
    assert {"vacant", "occupe"} <= postes
    assert {s.statut for s in db.session.scalars(select(Structure))} >= {"validee", "candidate", "refus_coordinateur"}
    for structure in db.session.scalars(select(Structure)):
        valides = db.session.scalar(select(func.count(Candidature.id)).where(
            Candidature.structure_id == structure.id, Candidature.statut == "validee"))
        assert structure.postes_coordinateur == valides
        q = workflow.quota(structure.id)
        assert q.coordinateurs_actifs + q.en_recrutement <= q.valides
    submitted = db.session.scalar(select(func.count(Candidature.id)).where(Candidature.statut != "brouillon"))
    assert db.session.scalar(select(func.count(Soumission.id)).where(Soumission.statut == "soumise")) == submitted
    assert db.session.scalar(select(func.count(CandidatureTransition.id))) >= submitted * 2
    # A second run only adds requests where none is open (one open request per structure).
    seed_candidatures(structures, random.Random(1))
    db.session.commit()
    ouvertes = db.session.execute(select(Candidature.structure_id, func.count()).where(
        Candidature.statut.in_(("brouillon", "nouvelle"))).group_by(Candidature.structure_id)).all()
    assert all(n == 1 for _, n in ouvertes)

    login(client, "prefet-38")
    liste = client.get("/candidatures/").get_data(as_text=True)
    assert "Afficher toutes les candidatures" in liste
    nouvelle = db.session.scalar(select(Candidature).join(Structure).where(
        Structure.departement_code == "38", Candidature.statut == "nouvelle"))
    detail = client.get(f"/candidatures/{nouvelle.id}").get_data(as_text=True)
    assert "Avez-vous mis en place une stratégie d&#39;inclusion numérique" in detail or \
        "Avez-vous mis en place une stratégie d'inclusion numérique" in detail


def test_volume_requests(client):
    structures = [make_structure("38", contact_email=f"v{i}@volume.structure-demo.fr") for i in range(60)]
    n = seed_candidatures_volume(1, random.Random(3))
    db.session.commit()
    assert 0 < n < len(structures)
    assert db.session.scalar(select(func.count(Candidature.id))) == n
    assert seed_candidatures_volume(1, random.Random(3)) == 0  # structures with a request are skipped
