"""The interface speaks French only: FAB's own strings come from our catalogue, never in English.

The English phrases looked for are every string Flask-AppBuilder marks for translation (extracted
from the installed package, so an upgrade that adds strings is caught) plus the few it hard-codes.
Only what a user reads is checked: text nodes and the title / placeholder / aria-label / alt
attributes and button labels, never scripts, styles or attribute names.
"""

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import flask_appbuilder
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from app.security import roles
from tests.conftest import csrf_token, login
from tests.factories import make_conseiller, make_contrat, make_structure, make_user

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
FAB_DIR = Path(flask_appbuilder.__file__).parent
FAB_KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "__": None, "lazy_formatter_gettext": None}

# Shown by FAB without going through gettext, or Python's repr of a value.
HARD_CODED_ENGLISH = [
    "Cancel", "None", "True", "False", "Select a State", "An error occurred", "No row selected", "Records",
    "Filter", "List", "Users", "Roles", "Label", "Record", "Sign in", "Log in", "Log out", "Submit",
]
# FAB msgids whose French is the same word.
SAME_IN_FRENCH = {"Actions", "Permission", "Permissions"}
# FAB's filter operators, as they would show untranslated in the "Ajouter un filtre" drop-down.
ENGLISH_OPERATORS = {
    "Starts with", "Not Starts with", "Ends with", "Not Ends with", "Contains", "Not Contains", "Equal to",
    "Not Equal to", "Greater than", "Smaller than", "In", "Not In", "Relation", "No Relation",
    "Relation as Many",
}


@cache
def fab_msgids() -> frozenset[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(FAB_DIR), method_map, keywords=FAB_KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return frozenset(found)


@cache
def catalogue():
    with PO.open("rb") as f:
        return read_po(f)


@cache
def forbidden_phrases() -> list[re.Pattern]:
    phrases = {msgid.strip() for msgid in fab_msgids() if msgid.strip() not in SAME_IN_FRENCH}
    phrases.update(HARD_CODED_ENGLISH)
    patterns = []
    for phrase in sorted(phrases, key=len, reverse=True):
        start = r"\b" if phrase[0].isalnum() else ""
        end = r"\b" if phrase[-1].isalnum() else ""
        patterns.append(re.compile(start + re.escape(phrase) + end))
    return patterns


class VisibleText(HTMLParser):
    """What a user reads: text outside <script>/<style>, and the attributes browsers display."""

    HIDDEN = {"script", "style", "template", "noscript"}
    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.pieces: list[str] = []
        self.html_lang = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag in self.HIDDEN:
            self.hidden_depth += 1
            return
        self.pieces.extend(attributes[name] for name in self.SHOWN_ATTRIBUTES if attributes.get(name))
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset") and attributes.get("value"):
            self.pieces.append(attributes["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data):
        if not self.hidden_depth and data.strip():
            self.pieces.append(" ".join(data.split()))


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def english_in(html: str) -> list[str]:
    found = []
    for piece in visible(html).pieces:
        for pattern in forbidden_phrases():
            if pattern.search(piece):
                found.append(f"{pattern.pattern!r} in {piece[:120]!r}")
    return found


def assert_french(response, *, status: int = 200) -> str:
    """Checks the page, returns its visible text (entities decoded)."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, html[:300])
    page = visible(html)
    assert page.html_lang == "fr"
    assert english_in(html) == [], response.request.path
    return " | ".join(page.pieces)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        pytest.fail(f"Catalogue non compilé : lancer `.venv/bin/pybabel compile -d translations` ({MO}).")


def _donnees():
    grenoble = make_structure("38", nom="Mairie de Grenoble")
    for _ in range(55):  # more than a page (50): pagination shows
        make_structure("38")
    conseiller = make_conseiller(grenoble)
    make_contrat(conseiller, grenoble)
    make_user(roles.ANCT, "anct")
    return grenoble, conseiller


STRUCTURE_FORM = {
    "nom": "Médiathèque de Valence", "type": "commune", "adresse": "1 place de la Liberté", "code_postal": "26000",
    "departement": "26", "region": "84", "statut": "validee", "postes_finances": "1", "postes_coordinateur": "0",
    "contact_prenom": "Dominique", "contact_nom": "Durand", "contact_fonction": "Directrice",
    "contact_email": "dominique.durand@exemple.fr", "contact_telephone": "0475000000",
}


# --- the catalogue --------------------------------------------------------------------------------

def test_catalogue_translates_every_fab_string():
    entries = {m.id: m for m in catalogue() if m.id}
    missing = sorted(fab_msgids() - set(entries))
    assert missing == [], "run scripts/update_translations.sh, then translate"
    untranslated = sorted(msgid for msgid, m in entries.items() if not m.string.strip())
    fuzzy = sorted(msgid for msgid, m in entries.items() if m.fuzzy)
    left_in_english = sorted(msgid for msgid, m in entries.items()
                             if m.string.strip() == msgid.strip() and msgid not in SAME_IN_FRENCH)
    assert untranslated == [] and fuzzy == [] and left_in_english == []
    assert not catalogue().fuzzy  # a fuzzy header would stop `pybabel compile`


def test_our_catalogue_wins_over_fab_stale_one(app):
    with app.test_request_context("/"):
        from flask_babel import get_locale, gettext

        assert str(get_locale()) == "fr"
        # FAB's shipped .mo says "Afficer le record" and "S'enregistrer" (for "Sign In").
        assert gettext("Show record") == "Afficher cet élément"
        assert gettext("Sign In") == "Se connecter"
        assert gettext("Logout") == "Se déconnecter"


# --- pages, anonymous -----------------------------------------------------------------------------

def test_login_page_and_login_errors_in_french(client):
    page = client.get("/login/")
    text = assert_french(page)
    assert "Se connecter" in text and "Identifiant" in text
    html = page.get_data(as_text=True)
    assert "/lang/" not in html  # no language menu: French only

    bad = client.post("/login/", data={"username": "personne", "password": "x", "csrf_token": csrf_token(html)},
                      follow_redirects=True)
    assert "Identifiant ou mot de passe incorrect. Veuillez réessayer." in assert_french(bad)


def test_protected_page_sends_anonymous_to_login_in_french(client):
    assert "Accès refusé." in assert_french(client.get("/structures/list/", follow_redirects=True))


def test_anonymous_not_found_in_french(client):
    assert_french(client.get("/page-inexistante"), status=404)


def test_locale_cannot_be_switched_to_english(client):
    assert client.get("/lang/en").status_code == 404
    assert "Se connecter" in assert_french(client.get("/login/?_l_=en"))


# --- pages, ANCT ----------------------------------------------------------------------------------

def test_generated_screens_in_french(client):
    grenoble, _ = _donnees()
    login(client, "anct")

    assert "Se déconnecter" in assert_french(client.get("/"))
    listing = assert_french(client.get("/structures/list/"))
    for text in ("Ajouter un filtre", "Rechercher", "Nombre de résultats", "Résultats par page", "Administration",
                 "Utilisateurs", "Rôles", "Mon profil"):
        assert text in listing, text
    assert "Mairie de Grenoble" in assert_french(client.get("/structures/list/?_flt_0_nom=Mairie"))
    assert "Aucun résultat." in assert_french(client.get("/structures/list/?_flt_0_nom=Introuvable"))
    show = assert_french(client.get(f"/structures/show/{grenoble.id}"))
    assert "Mairie de Grenoble" in show
    assert "Enregistrer" in assert_french(client.get(f"/structures/edit/{grenoble.id}"))
    add = assert_french(client.get("/structures/add"))
    assert "Ajouter une structure" in add
    assert_french(client.get("/conseillers/list/"))
    assert_french(client.get("/contrats/list/"))


def test_search_filter_operators_in_french(client):
    _donnees()
    login(client, "anct")
    html = client.get("/structures/list/").get_data(as_text=True)
    lines = html[html.index("new AdminFilters("):].splitlines()
    labels, form_fields, operators = (json.loads(line.strip().rstrip(",")) for line in lines[2:5])
    assert labels["nom"] == "Nom"
    names = {name for column in operators.values() for name in column}
    assert names & ENGLISH_OPERATORS == set()
    assert {"Commence par", "Contient", "Égal à", "Différent de"} <= names
    assert "Select Value" not in json.dumps(form_fields)


def test_form_errors_and_flash_messages_in_french(client):
    grenoble, _ = _donnees()
    login(client, "anct")
    token = csrf_token(client.get("/structures/add").get_data(as_text=True))

    refused = assert_french(client.post("/structures/add", data={"csrf_token": token, "nom": ""}))
    assert "Ce champ est requis." in refused  # WTForms' French, FAB's msgid says the same

    added = assert_french(client.post("/structures/add", data={"csrf_token": token, **STRUCTURE_FORM},
                                      follow_redirects=True))
    assert "L'élément a bien été ajouté." in added

    edit_token = csrf_token(client.get(f"/structures/edit/{grenoble.id}").get_data(as_text=True))
    changed = client.post(f"/structures/edit/{grenoble.id}",
                          data={"csrf_token": edit_token, **STRUCTURE_FORM, "nom": "Mairie de Grenoble (38)"},
                          follow_redirects=True)
    assert "Les modifications ont bien été enregistrées." in assert_french(changed)

    lone = make_structure("74")
    deleted = client.post(f"/structures/delete/{lone.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "L'élément a bien été supprimé." in assert_french(deleted)

    # Conseillers and contrats hang on Grenoble: FAB 5 flashes an empty message, we show a French one.
    blocked = client.post(f"/structures/delete/{grenoble.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "L'opération n'a pas pu aboutir" in assert_french(blocked)


def test_account_screens_in_french(client):
    _donnees()
    login(client, "anct")
    userinfo = assert_french(client.get("/users/userinfo/"))
    for text in ("Vos informations", "Modifier mon mot de passe", "Informations personnelles"):
        assert text in userinfo, text
    assert "Modifier vos informations" in assert_french(client.get("/userinfoeditview/form"))
    assert "Modification du mot de passe" in assert_french(client.get("/resetmypassword/form"))
    users = assert_french(client.get("/users/list/"))
    assert "Oui" in users  # "Actif", not Python's True
    assert_french(client.get("/users/add"))
    assert_french(client.get("/roles/list/"))
    assert_french(client.get("/groups/list/"))


def test_error_pages_in_french(client):
    _donnees()
    make_user(roles.PREFET_DEPARTEMENT, "prefet-38", departement_code="38")
    login(client, "anct")
    assert "Erreur 404" in assert_french(client.get("/page-inexistante"), status=404)
    client.get("/logout/")
    login(client, "prefet-38")
    assert "Erreur 403" in assert_french(client.get("/users/list/"), status=403)


def test_pages_have_a_skip_link_and_one_main_landmark(client):
    _donnees()
    login(client, "anct")
    for url in ("/", "/structures/list/", "/users/userinfo/", "/page-inexistante"):
        html = client.get(url).get_data(as_text=True)
        assert html.count("<main") == 1, url
        assert '<main id="contenu"' in html
        assert '<a href="#contenu">Aller au contenu</a>' in html
