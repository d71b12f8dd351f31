"""The coordinator workflow rules, called directly (no HTTP): state, guard, effect."""

import io
import os
import stat
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.candidatures import workflow
from app.candidatures.erreurs import ActionNonAutorisee, TransitionInterdite, ValidationErreur
from app.candidatures.models import (
    Candidature,
    CandidatureTransition,
    ContratDocument,
    DigestPrefet,
    HistoriqueModifie,
)
from app.extensions import db
from app.invitations.models import Invitation
from app.mail.models import OutboxMessage
from app.models import Conseiller, Contrat
from app.models.base import utcnow
from app.security import roles
from tests.candidatures_fixtures import PDF, make_candidature
from tests.factories import make_conseiller, make_contrat, make_structure, make_user


@pytest.fixture
def upload_dir(app, tmp_path):
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = previous


def emails(template: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(db.session.scalars(query))


def historique(candidature) -> list[tuple]:
    return [(t.evenement, t.de, t.vers) for t in db.session.scalars(
        select(CandidatureTransition).where(CandidatureTransition.candidature_id == candidature.id)
        .order_by(CandidatureTransition.id))]


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# --- avis ------------------------------------------------------------------------------------------

def test_prefet_gives_avis_once_with_comment():
    structure = make_structure("38")
    candidature = make_candidature(structure)
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")

    workflow.donner_avis(candidature, prefet, "favorable", "  Projet solide, partenaires identifiés.  ")

    candidature = reload(candidature)
    assert (candidature.avis, candidature.avis_commentaire) == ("favorable", "Projet solide, partenaires identifiés.")
    assert candidature.avis_par_id == prefet.id and candidature.avis_le is not None
    assert candidature.statut == "nouvelle"  # the avis is advisory
    assert historique(candidature)[-1] == ("avis", "nouvelle", "nouvelle")

    with pytest.raises(TransitionInterdite, match="déjà été donné"):
        workflow.donner_avis(candidature, prefet, "defavorable", "Je change d'avis")
    assert reload(candidature).avis == "favorable"


@pytest.mark.parametrize("commentaire, message", [
    ("", "obligatoire"), ("   ", "obligatoire"), (None, "obligatoire"), ("x" * 251, "250 caractères"),
])
def test_avis_comment_is_required_and_at_most_250_characters(commentaire, message):
    candidature = make_candidature(make_structure("38"))
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    with pytest.raises(ValidationErreur) as exc:
        workflow.donner_avis(candidature, prefet, "favorable", commentaire)
    assert message in exc.value.erreurs["commentaire"]
    assert reload(candidature).avis is None
    workflow.donner_avis(candidature, prefet, "favorable", "x" * 250)  # exactly 250 is fine
    assert len(reload(candidature).avis_commentaire) == 250


def test_avis_value_is_checked():
    candidature = make_candidature(make_structure("38"))
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    with pytest.raises(ValidationErreur) as exc:
        workflow.donner_avis(candidature, prefet, "excellent", "Bien")
    assert "favorable ou défavorable" in exc.value.erreurs["avis"]


def test_only_prefets_of_the_territory_give_avis():
    candidature = make_candidature(make_structure("38"))
    prefet_74 = make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    prefet_bfc = make_user(roles.PREFET_REGION, "prefet-bfc", region_code="27")
    anct = make_user(roles.ANCT, "anct")
    structure_user = make_user(roles.STRUCTURE, "structure", structure_id=candidature.structure_id)
    for user in (prefet_74, prefet_bfc):
        with pytest.raises(ActionNonAutorisee, match="territoire"):
            workflow.donner_avis(candidature, user, "favorable", "Avis")
    for user in (anct, structure_user):
        with pytest.raises(ActionNonAutorisee, match="Seul un préfet"):
            workflow.donner_avis(candidature, user, "favorable", "Avis")
    assert reload(candidature).avis is None

    prefet_ara = make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")  # the région contains 38
    workflow.donner_avis(candidature, prefet_ara, "defavorable", "Doublon avec le projet départemental")
    assert reload(candidature).avis == "defavorable"


def test_avis_only_on_a_new_request():
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    for statut in ("brouillon", "validee", "refusee"):
        candidature = make_candidature(make_structure("38"), statut)
        with pytest.raises(TransitionInterdite):
            workflow.donner_avis(candidature, prefet, "favorable", "Avis")
        assert reload(candidature).avis is None


# --- ANCT decision ---------------------------------------------------------------------------------

def test_validation_of_a_programme_structure_adds_a_coordinator_post_and_emails():
    structure = make_structure("38", postes_coordinateur=0, contact_email="mairie@grenoble.fr")
    candidature = make_candidature(structure)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    anct = make_user(roles.ANCT, "anct")

    workflow.decider(candidature, anct, "validee", "")  # without avis: allowed

    candidature, structure = reload(candidature), reload(structure)
    assert candidature.statut == "validee" and candidature.poste == "vacant"
    assert candidature.decision_par_id == anct.id and candidature.decision_le is not None
    assert structure.postes_coordinateur == 1 and structure.statut == "validee"
    assert historique(candidature)[-1] == ("decision", "nouvelle", "validee")
    [prefets] = emails("candidature_validee_prefets")
    assert prefets.recipients == ["prefet-38@exemple.fr"]
    [pour_structure] = emails("candidature_validee_structure")
    assert pour_structure.recipients == ["mairie@grenoble.fr"]
    assert db.session.scalar(select(func.count(Invitation.id))) == 0  # already in the programme


def test_validation_of_an_applicant_makes_it_a_programme_structure_and_invites_its_contact():
    structure = make_structure("74", statut="candidate", contact_email="direction@mjc-annecy.fr")
    candidature = make_candidature(structure, origine="publique")
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    workflow.donner_avis(candidature, prefet, "favorable", "Acteur reconnu")
    workflow.decider(candidature, make_user(roles.ANCT, "anct"), "validee", "Bonne articulation avec la gouvernance")

    structure = reload(structure)
    assert structure.statut == "validee" and structure.postes_coordinateur == 1
    [invitation] = db.session.scalars(select(Invitation))
    assert (invitation.email, invitation.role, invitation.structure_id) == (
        "direction@mjc-annecy.fr", roles.STRUCTURE, structure.id)
    assert [m.template for m in emails()] == [
        "invitation", "candidature_validee_prefets", "candidature_validee_structure"]
    assert "second message" in emails("candidature_validee_structure")[0].text_body


def test_refusal_of_an_applicant_marks_it_refus_coordinateur():
    applicant = make_structure("38", statut="candidate")
    programme = make_structure("38", statut="validee", postes_coordinateur=2)
    anct = make_user(roles.ANCT, "anct")
    a, b = make_candidature(applicant), make_candidature(programme)
    workflow.decider(a, anct, "refusee", "Hors périmètre")
    workflow.decider(b, anct, "refusee")
    assert reload(applicant).statut == "refus_coordinateur"
    assert reload(programme).statut == "validee" and reload(programme).postes_coordinateur == 2
    assert reload(a).statut == "refusee" and reload(a).poste is None
    [structure_mail, _] = emails("candidature_refusee_structure")
    assert structure_mail.subject == "Votre candidature a été examinée"
    assert len(emails("candidature_refusee_prefets")) == 0  # no préfet account in 38 here


def test_decision_is_anct_only_and_once():
    candidature = make_candidature(make_structure("38"))
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    anct = make_user(roles.ANCT, "anct")
    with pytest.raises(ActionNonAutorisee):
        workflow.decider(candidature, prefet, "validee")
    with pytest.raises(ValidationErreur) as exc:
        workflow.decider(candidature, anct, "peut-etre")
    assert "decision" in exc.value.erreurs
    with pytest.raises(ValidationErreur):
        workflow.decider(candidature, anct, "validee", "x" * 1001)
    workflow.decider(candidature, anct, "refusee")
    with pytest.raises(TransitionInterdite, match="déjà été refusée"):
        workflow.decider(candidature, anct, "validee")
    assert reload(candidature).statut == "refusee"
    brouillon = make_candidature(make_structure("38"), "brouillon")
    with pytest.raises(TransitionInterdite, match="pas encore transmise"):
        workflow.decider(brouillon, anct, "validee")


def test_no_avis_after_a_decision():
    candidature = make_candidature(make_structure("38"))
    workflow.decider(candidature, make_user(roles.ANCT, "anct"), "validee")
    with pytest.raises(TransitionInterdite):
        workflow.donner_avis(candidature, make_user(roles.PREFET_DEPARTEMENT, "p", departement_code="38"),
                             "favorable", "Trop tard")


# --- one open request per structure ----------------------------------------------------------------

def test_one_open_request_per_structure():
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    first = workflow._ouvrir(structure, origine="tableau_de_pilotage", auteur=user)
    db.session.commit()
    with pytest.raises(TransitionInterdite, match="une seule demande à la fois"):
        workflow._ouvrir(structure, origine="tableau_de_pilotage", auteur=user)
    db.session.rollback()
    resumed, _ = workflow.demarrer_motivation(structure, user)  # the dashboard resumes the open draft
    assert resumed.id == first.id and db.session.scalar(select(func.count(Candidature.id))) == 1
    # The database refuses it too, whatever the code path.
    db.session.add(Candidature(structure_id=structure.id, statut="nouvelle", origine="publique"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # Once decided, a new request may open.
    db.session.execute(text("UPDATE candidature SET statut = 'refusee' WHERE id = :id"), {"id": first.id})
    db.session.commit()
    second = workflow._ouvrir(structure, origine="tableau_de_pilotage", auteur=user)
    db.session.commit()
    assert second.id != first.id


def test_inactive_structure_cannot_apply():
    structure = make_structure("38", statut="inactive")
    with pytest.raises(TransitionInterdite, match="inactive"):
        workflow._ouvrir(structure, origine="publique")


# --- posts: role attribution and quota -------------------------------------------------------------

def _valider(structure, n: int = 1):
    admin = make_user(roles.ANCT)
    result = []
    for _ in range(n):
        candidature = make_candidature(structure)
        workflow.decider(candidature, admin, "validee")
        result.append(reload(candidature))
    return result


def _conseiller_en_poste(structure, **fields):
    conseiller = make_conseiller(structure, **fields)
    make_contrat(conseiller, structure, date_debut=date.today() - timedelta(days=30),
                 date_fin=date.today() + timedelta(days=300))
    return conseiller


def test_attribute_role_within_quota():
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    [poste] = _valider(structure)
    alice, bob = _conseiller_en_poste(structure, prenom="Alice"), _conseiller_en_poste(structure, prenom="Bob")
    assert {c.id for c in workflow.conseillers_eligibles(structure)} == {alice.id, bob.id}

    workflow.attribuer_role_coordinateur(structure, alice, user)

    poste, alice = reload(poste), reload(alice)
    assert alice.est_coordinateur and poste.poste == "occupe" and poste.coordinateur_id == alice.id
    assert historique(poste)[-1] == ("role_attribue", "validee", "validee")
    [welcome] = emails("coordinateur_bienvenue")
    assert welcome.subject == "Bienvenue parmi les coordinateurs" and welcome.recipients == [alice.email_pro]

    with pytest.raises(TransitionInterdite, match="plus de poste de coordinateur disponible"):
        workflow.attribuer_role_coordinateur(structure, bob, user)
    assert not reload(bob).est_coordinateur
    with pytest.raises(TransitionInterdite, match="déjà coordinateur"):
        workflow.attribuer_role_coordinateur(structure, alice, user)


def test_quota_counts_coordinators_already_there_and_returned_posts():
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    _conseiller_en_poste(structure, est_coordinateur=True)  # a coordinator from before
    [poste] = _valider(structure)
    candidat = _conseiller_en_poste(structure)
    assert workflow.quota(structure.id).disponibles == 0
    with pytest.raises(TransitionInterdite):
        workflow.attribuer_role_coordinateur(structure, candidat, user)
    _valider(structure)
    assert workflow.quota(structure.id).disponibles == 1
    workflow.attribuer_role_coordinateur(structure, candidat, user)
    assert workflow.quota(structure.id) == workflow.Quota(valides=2, coordinateurs_actifs=2, en_recrutement=0)
    assert reload(poste).poste == "occupe"  # the oldest validated post is taken first
    # A post cannot be returned if the coordinators in place would then exceed the quota.
    vacant = db.session.scalar(select(Candidature).where(Candidature.poste == "vacant"))
    with pytest.raises(TransitionInterdite, match="ne peut pas être rendu"):
        workflow.rendre_poste(vacant, user)
    # A returned post no longer counts.
    [troisieme] = _valider(structure)
    workflow.rendre_poste(reload(troisieme), user)
    assert reload(troisieme).poste == "rendu" and reload(structure).postes_coordinateur == 2
    assert workflow.quota(structure.id) == workflow.Quota(valides=2, coordinateurs_actifs=2, en_recrutement=0)
    with pytest.raises(TransitionInterdite):
        workflow.rendre_poste(reload(troisieme), user)


def test_role_requires_an_active_contract_with_this_structure():
    structure, autre = make_structure("38"), make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    _valider(structure)
    sans_contrat = make_conseiller(structure)
    contrat_fini = make_conseiller(structure)
    make_contrat(contrat_fini, structure, date_debut=date(2020, 1, 1), date_fin=date(2021, 1, 1))
    ailleurs = _conseiller_en_poste(autre)
    for conseiller in (sans_contrat, contrat_fini, ailleurs):
        with pytest.raises(ValidationErreur) as exc:
            workflow.attribuer_role_coordinateur(structure, conseiller, user)
        assert "contrat en cours" in exc.value.erreurs["conseiller_id"]
    assert workflow.quota(structure.id).disponibles == 1


def test_only_the_structure_itself_attributes_the_role():
    structure, autre = make_structure("38"), make_structure("38")
    _valider(structure)
    conseiller = _conseiller_en_poste(structure)
    for user in (make_user(roles.STRUCTURE, "autre", structure_id=autre.id),
                 make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38"),
                 make_user(roles.BANQUE_DES_TERRITOIRES, "bdt")):
        with pytest.raises(ActionNonAutorisee):
            workflow.attribuer_role_coordinateur(structure, conseiller, user)
    workflow.attribuer_role_coordinateur(structure, conseiller, make_user(roles.ANCT, "anct"))
    assert reload(conseiller).est_coordinateur


# --- recruitment and the Banque des Territoires ------------------------------------------------------

def _doc(name="contrat.pdf", content=PDF):
    return workflow.Document(filename=name, stream=io.BytesIO(content))


def _recruter(structure, user, **overrides):
    values = dict(prenom="Jean-Claude", nom="Dusse", email="jc.dusse@exemple.fr", type_contrat="cdd",
                  date_debut="2024-01-02", date_fin="2025-12-31", salaire="2100,50", documents=[_doc()])
    values.update(overrides)
    return workflow.recruter(structure, user, **values)


@pytest.mark.parametrize("overrides, champ, message", [
    ({"type_contrat": "cdi", "date_fin": "2025-12-31"}, "date_fin", "Un CDI n'a pas de date de fin"),
    ({"type_contrat": "cdd", "date_fin": ""}, "date_fin", "obligatoire"),
    ({"date_fin": "2023-12-31"}, "date_fin", "postérieure"),
    ({"date_debut": "02/01/2024"}, "date_debut", "AAAA-MM-JJ"),
    ({"type_contrat": "stage"}, "type_contrat", "CDI, CDD, PEC"),
    ({"salaire": "1500"}, "salaire", "inférieur"),
    ({"salaire": "beaucoup"}, "salaire", "invalide"),
    ({"salaire": ""}, "salaire", "obligatoire"),
    ({"documents": []}, "documents", "Joignez le contrat"),
    ({"documents": [_doc("contrat.pdf", b"MZ\x90\x00 not a pdf")]}, "documents", "n'est pas un fichier PDF"),
    ({"email": "pas-une-adresse"}, "email", "invalide"),
    ({"prenom": ""}, "prenom", "obligatoire"),
])
def test_recruitment_input_is_checked(upload_dir, overrides, champ, message):
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    _valider(structure)
    if "documents" in overrides and overrides["documents"]:
        overrides["documents"] = [_doc(d.filename, d.stream.getvalue()) for d in overrides["documents"]]
    with pytest.raises(ValidationErreur) as exc:
        _recruter(structure, user, **overrides)
    assert message in exc.value.erreurs[champ]
    assert db.session.scalar(select(func.count(Contrat.id))) == 0
    assert not any(upload_dir.rglob("*.pdf"))


def test_recruitment_file_size_limit(app, upload_dir):
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    _valider(structure)
    app.config["CONTRAT_DOCUMENT_TAILLE_MAX"], previous = 1024, app.config["CONTRAT_DOCUMENT_TAILLE_MAX"]
    try:
        with pytest.raises(ValidationErreur) as exc:
            _recruter(structure, user, documents=[_doc(content=PDF + b"0" * 2048)])
        assert "taille maximale" in exc.value.erreurs["documents"]
    finally:
        app.config["CONTRAT_DOCUMENT_TAILLE_MAX"] = previous


def test_recruitment_then_bdt_validation(app, upload_dir):
    structure = make_structure("38", contact_email="rh@grenoble.fr")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    [poste] = _valider(structure)
    contrat = _recruter(structure, user, documents=[_doc("../../Contrat signé.pdf"), _doc("annexe.pdf")])

    contrat = reload(contrat)
    assert contrat.statut == "en_attente_bdt" and contrat.est_coordinateur
    assert contrat.salaire_brut_mensuel == Decimal("2100.50")
    assert contrat.conseiller.statut == "en_recrutement" and not contrat.conseiller.est_coordinateur
    assert reload(poste).poste == "en_recrutement" and reload(poste).contrat_id == contrat.id
    documents = list(db.session.scalars(select(ContratDocument).order_by(ContratDocument.id)))
    assert [d.nom_original for d in documents] == ["Contrat signé.pdf", "annexe.pdf"]
    for document in documents:
        path = workflow.chemin_document(document)
        assert path.read_bytes() == PDF and path.parent.parent == upload_dir
        assert "static" not in path.parts and document.fichier not in ("Contrat signé.pdf", "annexe.pdf")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The post is reserved: no second recruitment, no role attribution on it.
    with pytest.raises(TransitionInterdite):
        _recruter(structure, user, email="autre@exemple.fr")
    with pytest.raises(ActionNonAutorisee):
        workflow.traiter_contrat_bdt(contrat, user, "valider")

    bdt = make_user(roles.BANQUE_DES_TERRITOIRES, "bdt")
    workflow.traiter_contrat_bdt(contrat, bdt, "valider")

    contrat, poste = reload(contrat), reload(poste)
    assert contrat.statut == "valide"
    assert contrat.conseiller.statut == "actif" and contrat.conseiller.est_coordinateur
    assert contrat.conseiller.structure_id == structure.id
    assert poste.poste == "occupe" and poste.coordinateur_id == contrat.conseiller_id
    assert workflow.quota(structure.id) == workflow.Quota(valides=1, coordinateurs_actifs=1, en_recrutement=0)
    assert [m.template for m in emails()][-2:] == ["coordinateur_bienvenue", "contrat_coordinateur_valide"]
    with pytest.raises(TransitionInterdite, match="déjà été traité"):
        workflow.traiter_contrat_bdt(contrat, bdt, "renvoyer", "Trop tard")


def test_bdt_returns_a_contract_with_a_reason(upload_dir):
    structure = make_structure("38", contact_email="rh@grenoble.fr")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    [poste] = _valider(structure)
    existant = _conseiller_en_poste(structure)
    contrat = _recruter(structure, user, conseiller_id=existant.id, type_contrat="cdi", date_fin="")
    assert reload(contrat).conseiller_id == existant.id and reload(contrat).date_fin is None
    bdt = make_user(roles.BANQUE_DES_TERRITOIRES, "bdt")
    with pytest.raises(ValidationErreur) as exc:
        workflow.traiter_contrat_bdt(contrat, bdt, "renvoyer", " ")
    assert "obligatoire" in exc.value.erreurs["motif"]

    workflow.traiter_contrat_bdt(contrat, bdt, "renvoyer", "Il manque la signature de l'employeur.")

    contrat, poste = reload(contrat), reload(poste)
    assert contrat.statut == "renvoye" and contrat.motif_renvoi == "Il manque la signature de l'employeur."
    assert poste.poste == "vacant" and poste.contrat_id is None
    assert not reload(existant).est_coordinateur
    [renvoi] = emails("contrat_coordinateur_renvoye")
    assert "Il manque la signature" in renvoi.text_body and renvoi.recipients == ["rh@grenoble.fr"]
    # The structure may recruit again on the same post.
    _recruter(structure, user, email="nouvelle.personne@exemple.fr")
    assert reload(poste).poste == "en_recrutement"


def test_recruitment_needs_a_validated_post(upload_dir):
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    with pytest.raises(TransitionInterdite, match="plus de poste"):
        _recruter(structure, user)
    assert db.session.scalar(select(func.count(Conseiller.id))) == 0
    assert not any(upload_dir.rglob("*.pdf"))


def test_existing_email_is_not_a_new_person(upload_dir):
    structure = make_structure("38")
    user = make_user(roles.STRUCTURE, "structure", structure_id=structure.id)
    _valider(structure)
    make_conseiller(None, email_pro="deja@conseiller-numerique.fr")
    with pytest.raises(ValidationErreur) as exc:
        _recruter(structure, user, email="Deja@conseiller-numerique.fr")
    assert "déjà celle d'un conseiller" in exc.value.erreurs["email"]


# --- history ---------------------------------------------------------------------------------------

def test_history_is_append_only():
    candidature = make_candidature(make_structure("38"))
    workflow.decider(candidature, make_user(roles.ANCT, "anct"), "refusee", "Motif")
    transition = db.session.scalars(select(CandidatureTransition).order_by(CandidatureTransition.id.desc())).first()
    transition.commentaire = "réécrit"
    with pytest.raises(HistoriqueModifie):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(HistoriqueModifie):
        db.session.delete(db.session.get(CandidatureTransition, transition.id))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DBAPIError):  # the database refuses an UPDATE too
        db.session.execute(text("UPDATE candidature_transition SET commentaire = 'x' WHERE id = :id"),
                           {"id": transition.id})
        db.session.flush()
    db.session.rollback()
    assert reload(transition).commentaire == "Motif"
    assert [e for e, _, _ in historique(candidature)] == ["creation", "decision"]


# --- daily digest ----------------------------------------------------------------------------------

def test_digest_lists_each_new_request_once_per_departement():
    p38 = make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38-bis", departement_code="38")
    make_user(roles.PREFET_REGION, "prefet-ara", region_code="84")  # the digest goes to département préfets
    make_user(roles.PREFET_DEPARTEMENT, "prefet-74", departement_code="74")
    a = make_candidature(make_structure("38", nom="Mairie de Voiron"))
    b = make_candidature(make_structure("38", nom="CCAS de Grenoble"))
    c = make_candidature(make_structure("74", nom="MJC d'Annecy"))
    avec_avis = make_candidature(make_structure("38", nom="Déjà vue"))
    workflow.donner_avis(avec_avis, p38, "favorable", "Vu")
    make_candidature(make_structure("38", nom="Brouillon"), "brouillon")
    make_candidature(make_structure("26", nom="Drôme sans préfet"))

    assert workflow.envoyer_digest_prefets() == 2

    digests = emails("candidatures_digest_prefets")
    assert [m.recipients for m in digests] == [["prefet-38-bis@exemple.fr", "prefet-38@exemple.fr"],
                                               ["prefet-74@exemple.fr"]]
    assert "Mairie de Voiron" in digests[0].text_body and "CCAS de Grenoble" in digests[0].text_body
    assert "Déjà vue" not in digests[0].text_body and "Brouillon" not in digests[0].text_body
    assert "2 nouvelles demandes" in digests[0].subject
    assert "MJC d'Annecy" in digests[1].text_body
    assert {reload(x).digest_id is not None for x in (a, b, c)} == {True}

    assert workflow.envoyer_digest_prefets() == 0  # nothing twice
    d = make_candidature(make_structure("38", nom="Nouvelle arrivée"))
    assert workflow.envoyer_digest_prefets() == 1
    last = emails("candidatures_digest_prefets")[-1]
    assert "Nouvelle arrivée" in last.text_body and "Mairie de Voiron" not in last.text_body
    assert reload(d).digest_id is not None
    assert db.session.scalar(select(func.count(DigestPrefet.id))) == 3
    # The Drôme request waits for a préfet, then is sent.
    make_user(roles.PREFET_DEPARTEMENT, "prefet-26", departement_code="26")
    assert workflow.envoyer_digest_prefets() == 1
    assert "Drôme sans préfet" in emails("candidatures_digest_prefets")[-1].text_body


def test_digest_command(app):
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_candidature(make_structure("38"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["digest", "send"])
    assert result.exit_code == 0, result.output
    assert "1 récapitulatif" in result.output
    assert runner.invoke(args=["digest", "send"]).output.startswith("0 récapitulatif")
    assert len(emails("candidatures_digest_prefets")) == 1


def test_a_bad_contact_address_does_not_block_a_decision():
    structure = make_structure("38", contact_email="pas une adresse")
    candidature = make_candidature(structure)
    workflow.decider(candidature, make_user(roles.ANCT, "anct"), "validee")
    assert reload(candidature).statut == "validee"
    assert emails("candidature_validee_structure") == []


def test_emails_are_never_duplicated_for_one_event():
    structure = make_structure("38")
    candidature = make_candidature(structure)
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    workflow.decider(candidature, make_user(roles.ANCT, "anct"), "validee")
    # Replaying the email step of the same event adds nothing (idempotency keys).
    workflow._emails_decision(reload(candidature), reload(structure), "validee", False)
    db.session.commit()
    assert len(emails("candidature_validee_prefets")) == 1
    assert len(emails("candidature_validee_structure")) == 1


def test_dates_are_aware_utc():
    candidature = make_candidature(make_structure("38"))
    assert reload(candidature).date_candidature.tzinfo is not None
    assert reload(candidature).created_at <= utcnow()


def test_document_path_is_under_upload_dir(upload_dir):
    document = ContratDocument(fichier="abc.pdf")
    assert workflow.chemin_document(document) == Path(upload_dir) / "contrats" / "abc.pdf"


def test_celery_beat_schedules_the_daily_digest(app):
    from app.candidatures.tasks import DIGEST_CANDIDATURES, digest_candidatures
    from app.tasks import _settings

    settings = _settings(app)
    assert settings["beat_schedule"]["candidatures-digest-prefets"]["task"] == DIGEST_CANDIDATURES
    assert "app.candidatures.tasks" in settings["include"]
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    make_candidature(make_structure("38"))
    assert digest_candidatures() == 1
    assert digest_candidatures() == 0
