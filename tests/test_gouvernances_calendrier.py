"""The campaign calendar: milestones are data; `verifier_echeance` is the one deadline check."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.gouvernances import calendrier
from app.gouvernances.erreurs import ActionNonAutorisee, EcheanceDepassee
from app.gouvernances.models import Jalon
from app.security import roles
from tests.conftest import csrf_token, login
from tests.factories import make_user


def test_official_calendar_of_the_seed_is_the_default():
    # 15 October 2023 inclusive, Paris time (UTC+2 in October).
    assert calendrier.echeance(calendrier.GOUVERNANCES_PRESSENTIES) == datetime(2023, 10, 15, 21, 59, 59, 999999,
                                                                               tzinfo=UTC)
    assert calendrier.format_echeance(calendrier.echeance(calendrier.GOUVERNANCES_PRESSENTIES)) == "15/10/2023"
    assert calendrier.format_echeance(calendrier.echeance(calendrier.PERIMETRE_DEFINITIF)) == "31/12/2023"
    assert calendrier.format_echeance(calendrier.echeance(calendrier.FEUILLES_DE_ROUTE)) == "30/06/2024"
    assert calendrier.format_echeance(calendrier.echeance(calendrier.AAC_MOTIVATION)) == "10/12/2023"
    assert calendrier.libelle_modifiable(calendrier.GOUVERNANCES_PRESSENTIES) == \
        "Proposition modifiable jusqu'au 15/10/2023"


def test_the_last_day_is_included_and_the_next_instant_is_refused():
    cle = calendrier.GOUVERNANCES_PRESSENTIES
    derniere_minute = datetime(2023, 10, 15, 21, 59, 30, tzinfo=UTC)  # 23:59:30 Paris
    calendrier.verifier_echeance(cle, derniere_minute)  # no error
    assert not calendrier.echeance_depassee(cle, derniere_minute)
    with pytest.raises(EcheanceDepassee) as exc:
        calendrier.verifier_echeance(cle, datetime(2023, 10, 15, 22, 0, tzinfo=UTC))  # 00:00 on the 16th in Paris
    assert exc.value.status == 409
    assert "15/10/2023 inclus" in exc.value.message
    assert "Remontée des gouvernances pressenties" in exc.value.message


def test_a_milestone_moved_by_anct_is_what_the_check_reads():
    anct = make_user(roles.ANCT, "anct-cal")
    jalon = calendrier.modifier_jalon(calendrier.GOUVERNANCES_PRESSENTIES, date(2030, 1, 31), None, anct)
    db.session.commit()
    assert calendrier.format_echeance(jalon.echeance) == "31/01/2030"
    assert jalon.modifie_par == "Prénom anct-cal"
    calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES, datetime(2030, 1, 31, 22, 0, tzinfo=UTC))
    with pytest.raises(EcheanceDepassee):
        calendrier.verifier_echeance(calendrier.GOUVERNANCES_PRESSENTIES, datetime(2030, 1, 31, 23, 0, tzinfo=UTC))
    # A time makes that minute the last one; no date at all removes the deadline.
    calendrier.modifier_jalon(calendrier.GOUVERNANCES_PRESSENTIES, date(2030, 1, 31), time(12, 0), anct)
    assert calendrier.format_echeance(calendrier.echeance(calendrier.GOUVERNANCES_PRESSENTIES)) == "31/01/2030 à 12:00"
    calendrier.modifier_jalon(calendrier.GOUVERNANCES_PRESSENTIES, None, None, anct)
    assert not calendrier.echeance_depassee(calendrier.GOUVERNANCES_PRESSENTIES, datetime(2099, 1, 1, tzinfo=UTC))
    assert calendrier.libelle_modifiable(calendrier.GOUVERNANCES_PRESSENTIES) == ""


def test_only_anct_edits_the_calendar():
    prefet = make_user(roles.PREFET_DEPARTEMENT, "prefet-cal", departement_code="38")
    with pytest.raises(ActionNonAutorisee):
        calendrier.modifier_jalon(calendrier.PARTICIPATION, date(2030, 1, 1), None, prefet)


def test_calendar_screen_anct_edits_a_milestone_prefet_reads(client):
    make_user(roles.ANCT, "anct")
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "prefet-38")
    page = client.get("/calendrier/").get_data(as_text=True)
    assert "Remontée des gouvernances pressenties" in page and "15/10/2023" in page
    assert "modifier-jalon-" not in page
    assert client.get("/calendrier/gouvernances-pressenties").status_code == 403
    client.get("/logout/")

    login(client, "anct")
    form = client.get("/calendrier/gouvernances-pressenties")
    assert form.status_code == 200
    response = client.post("/calendrier/gouvernances-pressenties", data={
        "csrf_token": csrf_token(form.get_data(as_text=True)), "libelle": "Remontée des gouvernances pressenties",
        "jour": "2030-02-28", "heure": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert calendrier.format_echeance(calendrier.echeance(calendrier.GOUVERNANCES_PRESSENTIES)) == "28/02/2030"
    assert "28/02/2030" in client.get("/calendrier/").get_data(as_text=True)
    # A wrong date is refused with a French message, nothing changes.
    form = client.get("/calendrier/gouvernances-pressenties")
    response = client.post("/calendrier/gouvernances-pressenties", data={
        "csrf_token": csrf_token(form.get_data(as_text=True)), "libelle": "X", "jour": "31/02/2030", "heure": ""})
    assert response.status_code == 400
    assert "Date attendue" in response.get_data(as_text=True)
    assert db.session.scalar(select(Jalon.libelle).where(Jalon.cle == "gouvernances-pressenties")) == \
        "Remontée des gouvernances pressenties"


def test_calendar_cli_moves_a_milestone(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["gouvernances", "calendrier", "--jalon", "participation", "--echeance", "2031-03-01"])
    assert result.exit_code == 0, result.output
    assert "01/03/2031" in result.output
    db.session.expire_all()
    assert calendrier.echeance(calendrier.PARTICIPATION) > datetime.now(UTC) + timedelta(days=365)
    result = runner.invoke(args=["gouvernances", "calendrier", "--jalon", "inconnu", "--echeance", "2031-03-01"])
    assert result.exit_code != 0
