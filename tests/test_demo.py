"""The demo data set: the accounts of the Quick start see what the README promises."""

from sqlalchemy import func, select

from app.demo import demo_password, seed
from app.extensions import db
from app.models import Conseiller, Structure
from tests.conftest import api_token, login


def _first(departement: str) -> Structure:
    return db.session.scalars(select(Structure).where(Structure.departement_code == departement)
                              .order_by(Structure.id)).first()


def test_seed_is_deterministic_and_idempotent(app):
    seed()
    structures = db.session.scalar(select(func.count()).select_from(Structure))
    names = db.session.scalars(select(Structure.nom).order_by(Structure.id)).all()
    seed()  # a second `make run`
    assert db.session.scalar(select(func.count()).select_from(Structure)) == structures
    assert db.session.scalars(select(Structure.nom).order_by(Structure.id)).all() == names
    assert {"38", "74", "26", "42", "39"} <= set(db.session.scalars(select(Structure.departement_code)))


def test_demo_accounts_see_their_territory(client):
    seed()
    isere, savoie, paris = _first("38"), _first("74"), _first("75")

    login(client, "prefet-38", demo_password())
    assert client.get(f"/structures/show/{isere.id}").status_code == 200
    assert client.get(f"/structures/show/{savoie.id}").status_code == 404
    headers = api_token(client, "prefet-38", demo_password())
    assert client.get(f"/api/v1/structure/{savoie.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/structure/{isere.id}", headers=headers).status_code == 200

    client.get("/logout/")
    login(client, "prefet-ara", demo_password())
    for structure in (isere, savoie):
        assert client.get(f"/structures/show/{structure.id}").status_code == 200
    assert client.get(f"/structures/show/{paris.id}").status_code == 404


def test_scale_adds_volume_once(app):
    seed()
    before = db.session.scalar(select(func.count()).select_from(Conseiller))
    seed(scale=0.02)
    added = db.session.scalar(select(func.count()).select_from(Conseiller)) - before
    assert 60 <= added <= 120  # ≈ 4,000 × 0.02 conseillers for 3,000 × 0.02 structures
    seed(scale=0.02)
    assert db.session.scalar(select(func.count()).select_from(Conseiller)) - before == added
