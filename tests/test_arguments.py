"""Crafted URL arguments get a 400, never a 500 nor a whole table."""

import pytest

from app.security import roles
from tests.conftest import login
from tests.factories import make_structure, make_user


@pytest.mark.parametrize("query", [
    "psize_StructureView=abc", "page_StructureView=abc", "psize_StructureView=-1",
    "psize_StructureView=100000", "_oc_StructureView=contrats", "_oc_StructureView=__class__",
])
def test_crafted_list_arguments_are_refused(client, query):
    make_user(roles.ANCT, "admin")
    login(client, "admin")
    assert client.get("/structures/list/?" + query).status_code == 400


def test_legitimate_list_arguments_work(client):
    make_structure("38", nom="Mairie de Vienne")
    make_user(roles.ANCT, "admin")
    login(client, "admin")
    page = client.get("/structures/list/?psize_StructureView=100&page_StructureView=0&_oc_StructureView=nom"
                      "&_od_StructureView=desc")
    assert page.status_code == 200
    assert "Mairie de Vienne" in page.get_data(as_text=True)
