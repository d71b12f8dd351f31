"""Every asset a page loads is served by the application itself: préfecture networks reach no CDN.

For the key pages (FAB's Bootstrap 3 screens and the DSFR public layout), each <script src>,
<link href> and <img src> must be local and answer 200, and so must every url(...) / @import of the
local stylesheets (fonts, icons) and the icons of a web manifest.
"""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import render_template_string

from app.security import roles
from tests.conftest import login
from tests.factories import make_structure, make_user

CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
DEMO_PUBLIC = """{% extends "public/base_public.html" %}
{% block title %}Démonstration{% endblock %}
{% block content %}<h1>Candidater</h1><p class="fr-text--lead">Formulaire public.</p>{% endblock %}"""


class AssetLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "img") and attributes.get("src"):
            self.urls.append((tag, attributes["src"]))
        elif tag == "link" and attributes.get("href"):
            self.urls.append((attributes.get("rel", "link"), attributes["href"]))


def asset_links(html: str) -> list[tuple[str, str]]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc or parts.netloc == "localhost"


def fetch(client, url: str) -> bytes:
    response = client.get(urlsplit(url).path)
    try:
        assert response.status_code == 200, f"{url} -> {response.status_code}"
        return response.get_data()
    finally:
        response.close()


def check_page_assets(client, html: str, checked: set[str]) -> int:
    """Asserts the page's assets are local and served; follows stylesheets and manifests. Returns the count."""
    links = asset_links(html)
    external = [url for _, url in links if not is_local(url)]
    assert external == []
    for kind, url in links:
        if url in checked:
            continue
        checked.add(url)
        body = fetch(client, url)
        if kind == "stylesheet" or url.endswith(".css"):
            check_stylesheet(client, url, body.decode("utf-8", "replace"), checked)
        elif kind == "manifest":
            for icon in json.loads(body).get("icons", []):
                fetch(client, urljoin(url, icon["src"]))
    return len(links)


def check_stylesheet(client, css_url: str, css: str, checked: set[str]) -> None:
    for match in CSS_URL.finditer(css):
        target = (match.group(2) or match.group(4)).strip()
        if target.startswith(("data:", "#")):
            continue
        assert is_local(target), f"{css_url} loads {target}"
        absolute = urljoin(css_url, target).split("#")[0].split("?")[0]
        if absolute not in checked:
            checked.add(absolute)
            fetch(client, absolute)


def test_fab_pages_load_local_assets_only(client):
    structure = make_structure("38", nom="Mairie de Grenoble")
    make_user(roles.ANCT, "anct")
    checked: set[str] = set()
    login_page = client.get("/login/").get_data(as_text=True)
    assert check_page_assets(client, login_page, checked) > 10  # Bootstrap, Font Awesome, jQuery, select2…

    login(client, "anct")
    for url in ("/", "/structures/list/", f"/structures/show/{structure.id}", f"/structures/edit/{structure.id}",
                "/structures/add", "/users/userinfo/", "/users/list/", "/page-inexistante"):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        check_page_assets(client, response.get_data(as_text=True), checked)
    assert any(url.endswith("glyphicons-halflings-regular.woff2") for url in checked)
    assert "/static/js/pilotage-fr.js" in checked


def test_public_layout_uses_local_dsfr(app, client):
    with app.test_request_context("/"):
        html = render_template_string(DEMO_PUBLIC)
    assert '<html lang="fr"' in html
    assert '<link rel="stylesheet" href="/static/vendor/dsfr/dsfr.min.css">' in html
    assert '<script type="module" src="/static/vendor/dsfr/dsfr.module.min.js"' in html
    assert '<script nomodule src="/static/vendor/dsfr/dsfr.nomodule.min.js"' in html
    assert "<title>Démonstration – Pilotage France Numérique Ensemble</title>" in html
    assert '<p class="fr-logo">République<br>Française</p>' in html
    assert '<main id="contenu" tabindex="-1">' in html and "<h1>Candidater</h1>" in html
    assert 'href="#contenu"' in html and 'href="#pied-de-page"' in html
    assert f'href="mailto:{app.config["SUPPORT_EMAIL"]}"' in html

    checked: set[str] = set()
    check_page_assets(client, html, checked)
    assert any(url.endswith("/fonts/Marianne-Regular.woff2") for url in checked)
    assert any("/icons/system/" in url for url in checked)


def test_chart_library_is_vendored(client):
    body = fetch(client, "/static/vendor/chartjs/chart.umd.min.js")
    assert re.search(rb"Chart\.js v4\.\d+\.\d+", body[:300])
