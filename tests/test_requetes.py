"""A list page's number of SQL statements does not grow with its rows (no N+1)."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.extensions import db
from app.security import roles
from tests.conftest import login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user


@contextmanager
def count_statements():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _populate(rows: int) -> None:
    for i in range(rows):
        structure = make_structure("38" if i % 2 else "74")
        conseiller = make_conseiller(structure)
        make_contrat(conseiller, structure)


LIST_PAGES = ["/structures/list/", "/conseillers/list/", "/contrats/list/", "/api/v1/structure/",
              "/api/v1/conseiller/", "/api/v1/contrat/", "/structures/list/?psize_StructureView=100"]


@pytest.mark.parametrize("who", [roles.ANCT, roles.PREFET_REGION])
def test_list_pages_query_count_does_not_grow_with_rows(client, who):
    make_user(who, "lecteur", region_code="84")
    login(client, "lecteur")
    counts = {}
    for added in (10, 190):  # 10 rows, then 200 (four 50-row pages)
        _populate(added)
        for url in LIST_PAGES:
            client.get(url)  # warm caches that exist once per process, not per page
            with count_statements() as statements:
                response = client.get(url)
            assert response.status_code == 200, url
            counts.setdefault(url, []).append(len(statements))
    for url, (small, large) in counts.items():
        assert small == large, f"{url}: {small} requêtes pour 10 lignes, {large} pour 200"
        assert large <= 12, f"{url}: {large} requêtes"


def test_gouvernance_api_query_count_does_not_grow_with_rows(client):
    from app.gouvernances.models import GouvernancePressentie
    from tests.conftest import api_token

    make_user(roles.ANCT, "lecteur")
    headers = api_token(client, "lecteur")
    counts = []
    for added in (2, 20):
        for i in range(added):
            db.session.add(GouvernancePressentie(departement_code="38", region_code="84", perimetre="departemental",
                                                 porteur_nom=f"Porteur {i}", sirets_recruteurs=["22380001200013"]))
        db.session.commit()
        client.get("/api/v1/gouvernance/", headers=headers)
        with count_statements() as statements:
            assert client.get("/api/v1/gouvernance/", headers=headers).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
