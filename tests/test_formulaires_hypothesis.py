"""Property-based: random and hostile posts to every shipped form never give a server error, and an
invalid post never stores anything (what is stored always passes the definition's checks again)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.formulaires import service
from app.formulaires.definition import champs, shipped_files
from app.formulaires.models import Soumission
from app.formulaires.moteur import revalider
from tests.conftest import csrf_token
from tests.formulaires_helpers import chemin
from tests.test_formulaires_remplir import CANDIDATURE_VALIDE, GOUVERNANCE_VALIDE, MOTIVATION_VALIDE

VALID = {"motivation-coordinateur": MOTIVATION_VALIDE, "candidature-coordinateur": CANDIDATURE_VALIDE,
         "gouvernance-pressentie": GOUVERNANCE_VALIDE}

FORMS = [p.stem for p in shipped_files()]

HOSTILE = st.sampled_from([
    "", " ", "oui", "non", "autre", "commune:38185", "departement:38", "epci:200040715", "region:84", "38", "2A",
    "22380001200013", "35600000049837", "22380001200014", "06 12 34 56 78", "camille@exemple.fr", "10/12/2023",
    "2023-12-10", "1e309", "-0", "NaN", "12,5", "<script>alert(1)</script>", "<p onclick=x>p</p>",
    '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "' OR 1=1 --", "\x00", "\u202e", "é" * 3, "A" * 70_000,
    "x" * 5000, "😀", "../../etc/passwd", "null", "[]", "{}", "true",
])
VALUES = st.one_of(HOSTILE, st.text(max_size=300), st.integers().map(str), st.floats().map(str))


@st.composite
def posts(draw, form_id: str):
    definition = service.current_version(form_id).definition
    names = []
    for champ in champs(definition):
        names.append(champ.key)
        if champ.type == "group":
            names += [f"{champ.key}-{i}-{s['key']}" for i in (0, 1, 7, 9999) for s in champ.spec.get("fields", [])]
            names += [f"{champ.key}-²-siret", f"{champ.key}--1-siret"]
        if champ.type == "collectivite":
            names.append(f"{champ.key}__recherche")
        if champ.type == "file":
            names.append(f"{champ.key}__supprimer")
    names += ["inconnu", "csrf_token_bis", "reponses", "statut", "__class__", "objet_id"]
    keys = draw(st.lists(st.sampled_from(names), max_size=25))
    data = MultiDict()
    if draw(st.booleans()):  # a valid answer set, then spoilt (or not) by what follows
        data = MultiDict(list(VALID.get(form_id, {}).items()))
        for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=3)):
            data.poplist(key)
    for key in keys:  # a key may come several times (wrong type: a list where one value is expected)
        data.add(key, draw(VALUES))
    action = draw(st.sampled_from(["deposer", "brouillon", "deposer", "ajouter:structures_recruteuses",
                                   "retirer:structures_recruteuses:0", "retirer:x:99999", "chercher:inconnu",
                                   "chercher:porteur_collectivite", "inconnue", ""]))
    return data, action


@pytest.fixture(autouse=True)
def sans_abonnes():
    saved = {k: list(v) for k, v in service._ON_SUBMIT.items()}
    service._ON_SUBMIT.clear()
    yield
    service._ON_SUBMIT.update(saved)


@pytest.mark.parametrize("form_id", FORMS)
def test_hostile_posts_never_crash_nor_store_invalid_answers(client, form_id):
    service.current_version(form_id)
    db.session.commit()
    statuses = []

    @settings(max_examples=50, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(posts(form_id))
    def check(post):
        data, action = post
        soumission = service.start_or_resume(form_id)
        db.session.commit()
        path = chemin(soumission)
        page = client.get(path)
        assert page.status_code == 200
        data = data.copy()
        data["csrf_token"] = csrf_token(page.get_data(as_text=True))
        data["action"] = action
        response = client.post(path, data=data)
        assert response.status_code < 500, response.get_data(as_text=True)[:2000]
        statuses.append(response.status_code)
        db.session.expire_all()
        stored = db.session.get(Soumission, soumission.id)
        if response.status_code == 302:
            # Accepted: what is stored passes every check of its definition again.
            assert revalider(stored.form_version.definition, stored.reponses) == []
            assert set(stored.reponses) <= {c.key for c in champs(stored.form_version.definition)}
        else:
            assert stored.reponses == {} and stored.statut == "brouillon", (response.status_code, stored.reponses)

    check()
    assert 302 in statuses and 422 in statuses  # both paths were exercised
