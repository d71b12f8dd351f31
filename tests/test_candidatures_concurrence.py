"""Two people acting at the same moment: the database decides, exactly one wins (SQLite and PostgreSQL).

Each thread has its own application context, hence its own session and connection. Both load the
request before either writes (a barrier), so both pass the in-memory checks and reach the
conditional UPDATE: only the row count can tell them apart.
"""

import threading
from datetime import date, timedelta

from sqlalchemy import func, select

from app.candidatures import workflow
from app.candidatures.erreurs import ErreurMetier, TransitionInterdite
from app.candidatures.models import Candidature, CandidatureTransition, DigestPrefet
from app.extensions import db
from app.mail.models import OutboxMessage
from app.models import Conseiller, Structure, Utilisateur
from app.security import roles
from tests.candidatures_fixtures import make_candidature
from tests.factories import make_conseiller, make_contrat, make_structure, make_user


def _race(app, n: int, action):
    """Run `action(i, barrier)` in n threads; returns each outcome ("ok" or the exception)."""
    barrier = threading.Barrier(n, timeout=20)
    outcomes: list = [None] * n

    def run(i):
        with app.app_context():
            try:
                action(i, barrier)
                outcomes[i] = "ok"
            except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
                outcomes[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def test_two_prefets_at_the_same_moment_leave_exactly_one_avis(app):
    candidature_id = make_candidature(make_structure("38")).id
    ids = [make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38").id,
           make_user(roles.PREFET_REGION, "prefet-ara", region_code="84").id]
    avis = ["favorable", "defavorable"]

    def act(i, barrier):
        candidature = db.session.get(Candidature, candidature_id)
        assert candidature.avis is None and candidature.structure is not None
        prefet = db.session.get(Utilisateur, ids[i])
        [r.name for r in prefet.roles]
        barrier.wait()
        workflow.donner_avis(candidature, prefet, avis[i], f"Avis du préfet {i}")

    outcomes = _race(app, 2, act)

    assert sorted(o if o == "ok" else type(o).__name__ for o in outcomes) == ["TransitionInterdite", "ok"]
    loser = next(o for o in outcomes if o != "ok")
    assert "déjà été donné" in loser.message
    db.session.expire_all()
    winner = outcomes.index("ok")
    candidature = db.session.get(Candidature, candidature_id)
    assert (candidature.avis, candidature.avis_par_id) == (avis[winner], ids[winner])
    assert db.session.scalar(select(func.count(CandidatureTransition.id)).where(
        CandidatureTransition.candidature_id == candidature_id, CandidatureTransition.evenement == "avis")) == 1


def test_two_decisions_at_the_same_moment_leave_one(app):
    structure = make_structure("38", postes_coordinateur=0)
    candidature_id = make_candidature(structure).id
    ids = [make_user(roles.ANCT, "anct-1").id, make_user(roles.ANCT, "anct-2").id]
    decisions = ["validee", "refusee"]

    def act(i, barrier):
        candidature = db.session.get(Candidature, candidature_id)
        candidature.structure  # noqa: B018 - loaded before the race
        user = db.session.get(Utilisateur, ids[i])
        [r.name for r in user.roles]
        barrier.wait()
        workflow.decider(candidature, user, decisions[i])

    outcomes = _race(app, 2, act)

    assert sum(o == "ok" for o in outcomes) == 1
    assert all(isinstance(o, TransitionInterdite) for o in outcomes if o != "ok")
    db.session.expire_all()
    statut = db.session.get(Candidature, candidature_id).statut
    assert statut == decisions[outcomes.index("ok")]
    assert db.session.get(Structure, structure.id).postes_coordinateur == (1 if statut == "validee" else 0)
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.template.like("candidature_%_structure"))) == 1


def test_two_role_attributions_on_one_post(app):
    structure = make_structure("38")
    candidature = make_candidature(structure)
    workflow.decider(candidature, make_user(roles.ANCT, "anct"), "validee")
    conseillers = []
    for prenom in ("Alice", "Bob"):
        c = make_conseiller(structure, prenom=prenom)
        make_contrat(c, structure, date_debut=date.today() - timedelta(days=10),
                     date_fin=date.today() + timedelta(days=100))
        conseillers.append(c.id)
    user_id = make_user(roles.STRUCTURE, "structure", structure_id=structure.id).id

    def act(i, barrier):
        user = db.session.get(Utilisateur, user_id)
        [r.name for r in user.roles]
        s = db.session.get(Structure, structure.id)
        conseiller = db.session.get(Conseiller, conseillers[i])
        conseiller.contrats  # noqa: B018
        barrier.wait()
        workflow.attribuer_role_coordinateur(s, conseiller, user)

    outcomes = _race(app, 2, act)

    assert sum(o == "ok" for o in outcomes) == 1, outcomes
    assert all(isinstance(o, ErreurMetier) for o in outcomes if o != "ok")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Conseiller.id)).where(Conseiller.est_coordinateur.is_(True))) == 1
    assert workflow.quota(structure.id).disponibles == 0


def test_two_digest_runs_send_each_request_once(app):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    for departement in ("38", "38", "74"):
        make_candidature(make_structure(departement))

    def act(i, barrier):
        barrier.wait()
        workflow.envoyer_digest_prefets()

    outcomes = _race(app, 2, act)

    assert outcomes == ["ok", "ok"]
    db.session.expire_all()
    messages = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "candidatures_digest_prefets")))
    listed = sum(m.text_body.count("candidature du") for m in messages)
    assert listed == 3
    assert db.session.scalar(select(func.count(Candidature.id)).where(Candidature.digest_id.is_(None))) == 0
    assert db.session.scalar(select(func.count(DigestPrefet.id))) == len(messages)
