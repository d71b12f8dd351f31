"""The engine: every field type and validation rule, conditional visibility, hidden answers dropped."""

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from app.formulaires import conditions
from app.formulaires.moteur import (
    BROUILLON,
    DEPOT,
    brut_depuis_formdata,
    elements_affichage,
    revalider,
    valider,
)
from tests.formulaires_helpers import definition

CHOIX = [{"value": "a", "label": "Réponse A"}, {"value": "b", "label": "Réponse B"}, {"value": "c", "label": "Réponse C"}]


def check(spec: dict, posted, mode=DEPOT, **meta):
    defn = definition([{"label": "Question", **spec}], **meta)
    data = MultiDict(posted if isinstance(posted, list) else [(spec["key"], posted)] if posted is not None else [])
    return valider(defn, brut_depuis_formdata(defn, data), mode=mode)


def accepted(spec, posted, expected):
    result = check(spec, posted)
    assert result.erreurs == {}, result.erreurs
    assert result.reponses.get(spec["key"]) == expected
    assert revalider(definition([{"label": "Question", **spec}]), result.reponses) == []


def refused(spec, posted, message, mode=DEPOT):
    result = check(spec, posted, mode=mode)
    errors = " ".join(result.erreurs.get(spec["key"], []))
    assert message in errors, result.erreurs
    assert spec["key"] not in result.reponses


# --- one test per type -----------------------------------------------------------------------------

@pytest.mark.parametrize("posted, expected", [("  Bonjour  ", "Bonjour"), ("deux\nlignes", "deux lignes"),
                                              ("nul\x00octet", "nuloctet")])
def test_text(posted, expected):
    accepted({"key": "q", "type": "text"}, posted, expected)


def test_text_rules():
    refused({"key": "q", "type": "text", "max_length": 5}, "Bonjour", "5 caractères au plus (actuellement 7)")
    refused({"key": "q", "type": "text", "min_length": 3}, "ab", "Au moins 3 caractères")
    refused({"key": "q", "type": "text", "pattern": "[0-9]{5}", "pattern_message": "Le code postal compte 5 chiffres."},
            "3800", "Le code postal compte 5 chiffres.")
    accepted({"key": "q", "type": "text", "pattern": "[0-9]{5}", "pattern_message": "x"}, "38000", "38000")
    refused({"key": "q", "type": "text"}, "x" * 501, "500 caractères au plus")  # default ceiling
    refused({"key": "q", "type": "text", "required": True}, "   ", "Ce champ est obligatoire.")


def test_textarea_keeps_lines():
    accepted({"key": "q", "type": "textarea"}, "ligne 1\r\nligne 2", "ligne 1\nligne 2")
    refused({"key": "q", "type": "textarea", "max_length": 10}, "x" * 11, "10 caractères au plus")


def test_integer():
    accepted({"key": "q", "type": "integer"}, "1 200", 1200)
    accepted({"key": "q", "type": "integer"}, "-3", -3)
    refused({"key": "q", "type": "integer"}, "12,5", "Nombre entier attendu")
    refused({"key": "q", "type": "integer"}, "douze", "Nombre entier attendu")
    refused({"key": "q", "type": "integer"}, "9" * 40, "Nombre entier attendu")
    refused({"key": "q", "type": "integer", "min": 1}, "0", "supérieure ou égale à 1")
    refused({"key": "q", "type": "integer", "max": 10}, "11", "inférieure ou égale à 10")


def test_decimal():
    accepted({"key": "q", "type": "decimal"}, "12,50", "12.5")
    accepted({"key": "q", "type": "decimal"}, "1 000.25", "1000.25")
    accepted({"key": "q", "type": "decimal"}, "100", "100")
    refused({"key": "q", "type": "decimal"}, "1e5", "Nombre attendu")
    refused({"key": "q", "type": "decimal"}, "NaN", "Nombre attendu")
    refused({"key": "q", "type": "decimal", "min": 0.5}, "0,4", "supérieure ou égale à 0,5")


def test_date():
    accepted({"key": "q", "type": "date"}, "2023-12-10", "2023-12-10")
    accepted({"key": "q", "type": "date"}, "10/12/2023", "2023-12-10")
    refused({"key": "q", "type": "date"}, "31/02/2023", "Date attendue au format JJ/MM/AAAA")
    refused({"key": "q", "type": "date"}, "hier", "Date attendue")
    refused({"key": "q", "type": "date", "min": "2023-01-01"}, "2022-12-31", "le 01/01/2023 ou après")
    refused({"key": "q", "type": "date", "max": "2023-12-10"}, "2023-12-11", "le 10/12/2023 ou avant")


def test_email():
    accepted({"key": "q", "type": "email"}, " prenom.nom@Exemple.FR ", "prenom.nom@exemple.fr")
    refused({"key": "q", "type": "email"}, "pas-une-adresse", "Adresse électronique invalide")
    refused({"key": "q", "type": "email"}, "a@b", "Adresse électronique invalide")


@pytest.mark.parametrize("posted", ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678",
                                    "+33 (0)6 12 34 56 78"])
def test_phone_french_formats(posted):
    accepted({"key": "q", "type": "phone"}, posted, "0612345678")


def test_phone_overseas_and_errors():
    accepted({"key": "q", "type": "phone"}, "+262 692 12 34 56", "0692123456")
    refused({"key": "q", "type": "phone"}, "12345", "Numéro de téléphone invalide")
    refused({"key": "q", "type": "phone"}, "+44 20 7946 0958", "Numéro de téléphone invalide")


def test_yes_no():
    accepted({"key": "q", "type": "yes_no"}, "oui", True)
    accepted({"key": "q", "type": "yes_no"}, "non", False)
    refused({"key": "q", "type": "yes_no"}, "peut-être", "Répondez par « Oui » ou « Non »")
    refused({"key": "q", "type": "yes_no", "required": True}, None, "Veuillez choisir une réponse")


def test_single_choice():
    accepted({"key": "q", "type": "choice", "choices": CHOIX}, "b", "b")
    refused({"key": "q", "type": "choice", "choices": CHOIX}, "z", "ne fait pas partie des choix proposés")
    refused({"key": "q", "type": "choice", "choices": CHOIX}, [("q", "a"), ("q", "b")], "Une seule réponse est attendue")


def test_multiple_choice():
    spec = {"key": "q", "type": "multiple_choice", "choices": CHOIX}
    accepted(spec, [("q", "c"), ("q", "a")], ["a", "c"])  # in the choices' order
    refused(spec, [("q", "a"), ("q", "z")], "ne fait pas partie des choix proposés")
    refused({**spec, "min_items": 2}, [("q", "a")], "Choisissez au moins 2 réponse(s)")
    refused({**spec, "max_items": 1}, [("q", "a"), ("q", "b")], "Choisissez au plus 1 réponse(s)")
    refused({**spec, "required": True}, [], "Veuillez choisir au moins une réponse")


def test_siret_with_checksum_and_la_poste():
    spec = {"key": "q", "type": "siret"}
    accepted(spec, "223 800 012 00013", "22380001200013")  # Conseil départemental de l'Isère (seed)
    accepted(spec, "35600000049837", "35600000049837")  # La Poste: digit sum, not Luhn
    refused(spec, "22380001200014", "clé de contrôle est incorrecte")
    refused(spec, "35600000049838", "clé de contrôle est incorrecte")
    refused(spec, "2238000120", "Le SIRET compte 14 chiffres")
    refused(spec, "2238000120001A", "Le SIRET compte 14 chiffres")


def test_collectivite_is_checked_in_the_territories():
    spec = {"key": "q", "type": "collectivite", "types": ["commune", "epci"]}
    accepted(spec, "commune:38185", {"type": "commune", "code": "38185", "nom": "Grenoble",
                                      "libelle": "Grenoble (38000, 38100)"})
    accepted(spec, "epci:200040715", {"type": "epci", "code": "200040715", "nom": "Grenoble-Alpes-Métropole",
                                       "libelle": "Grenoble-Alpes-Métropole (EPCI)"})
    refused(spec, "commune:99999", "Collectivité introuvable")
    refused(spec, "region:84", "Choisissez une collectivité parmi les résultats")  # type not offered
    refused(spec, "Grenoble", "Choisissez une collectivité parmi les résultats")


def test_departement_and_region():
    accepted({"key": "q", "type": "departement"}, "38", "38")
    accepted({"key": "q", "type": "departement"}, "2a", "2A")
    refused({"key": "q", "type": "departement"}, "99", "Choisissez un département de la liste")
    accepted({"key": "q", "type": "region"}, "84", "84")
    refused({"key": "q", "type": "region"}, "00", "Choisissez une région de la liste")
    result = check({"key": "q", "type": "departement"}, "38")
    assert elements_affichage(definition([{"key": "q", "type": "departement", "label": "D"}]),
                              result.reponses)[0]["value_text"] == "Isère (38)"


def _upload(content: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name, content_type="application/octet-stream")


def test_file_type_and_size_limits():
    spec = {"key": "q", "type": "file", "label": "Pièce", "accept": ["pdf"], "max_size_mb": 1}
    defn = definition([spec])

    def run(upload):
        return valider(defn, brut_depuis_formdata(defn, MultiDict([("q", upload)])), mode=DEPOT)

    ok = run(_upload(b"%PDF-1.4 contenu", "../../etc/projet.pdf"))
    assert ok.erreurs == {} and ok.reponses["q"]["nom"] == "projet.pdf" and len(ok.fichiers) == 1
    assert "Format de fichier non accepté : formats acceptés PDF" in run(_upload(b"MZ...", "virus.exe")).erreurs["q"][0]
    assert "ne correspond pas à un fichier PDF" in run(_upload(b"<html>", "faux.pdf")).erreurs["q"][0]
    assert "taille maximale de 1 Mo" in run(_upload(b"%PDF-" + b"0" * (1024 * 1024), "gros.pdf")).erreurs["q"][0]
    assert "vide" in run(_upload(b"", "vide.pdf")).erreurs["q"][0]


def test_repeated_group_min_max_items():
    spec = {"key": "g", "type": "group", "label": "SIRET", "min_items": 1, "max_items": 2,
            "fields": [{"key": "siret", "type": "siret", "label": "SIRET", "required": True}]}
    defn = definition([spec])

    def run(pairs, mode=DEPOT):
        return valider(defn, brut_depuis_formdata(defn, MultiDict(pairs)), mode=mode)

    ok = run([("g-0-siret", "22380001200013"), ("g-5-siret", "35600000049837"), ("g-1-siret", "")])
    assert ok.erreurs == {} and ok.reponses["g"] == [{"siret": "22380001200013"}, {"siret": "35600000049837"}]
    assert "Ajoutez au moins un élément" in run([("g-0-siret", "")]).erreurs["g"][0]
    assert run([("g-0-siret", "")], mode=BROUILLON).erreurs == {}  # a draft may be incomplete
    too_many = run([(f"g-{i}-siret", "22380001200013") for i in range(3)])
    assert "2 élément(s) au plus" in too_many.erreurs["g"][0]
    bad = run([("g-0-siret", "22380001200013"), ("g-1-siret", "123")])
    assert "14 chiffres" in bad.erreurs["g-1-siret"][0] and "g" not in bad.reponses
    # Hostile names are ignored, never an error: unicode digits, huge indexes, unknown sub-keys.
    weird = run([("g-²-siret", "x"), ("g-99999999-siret", "x"), ("g-0-inconnu", "x"), ("g-0-siret", "22380001200013")])
    assert weird.reponses["g"] == [{"siret": "22380001200013"}]


def test_rich_text_is_sanitised():
    spec = {"key": "q", "type": "rich_text"}
    result = check(spec, '<p>Bonjour <strong>à tous</strong><script>alert(1)</script>'
                         '<a href="javascript:alert(2)" onclick="x()">lien</a> <a href="https://anct.gouv.fr">ANCT</a></p>'
                         '<img src=x onerror=alert(3)>')
    html = result.reponses["q"]
    assert "<strong>à tous</strong>" in html
    for forbidden in ("script", "javascript:", "onclick", "onerror", "<img"):
        assert forbidden not in html
    assert 'href="https://anct.gouv.fr"' in html and 'rel="noopener noreferrer nofollow"' in html
    typed = "Premier paragraphe\nsuite\n\nSecond & dernier <3"
    plain = check(spec, typed).reponses["q"]
    assert plain == "<p>Premier paragraphe<br>suite</p><p>Second &amp; dernier &lt;3</p>"
    from app.formulaires.types_champs import TYPES

    assert TYPES["rich_text"].to_input(spec, plain) == typed  # shown again as typed, not as HTML
    assert TYPES["rich_text"].to_input(spec, html) == html
    refused({**spec, "required": True}, "<p> </p><script>x</script>", "Ce champ est obligatoire.")
    refused({**spec, "max_length": 10}, "<p>" + "x" * 11 + "</p>", "10 caractères au plus")


def test_block_takes_no_answer():
    result = check({"key": "intro", "type": "block", "content": "Lisez ceci."}, "valeur postée")
    assert result.reponses == {} and result.erreurs == {}


def test_required_only_when_submitting():
    spec = {"key": "q", "type": "text", "required": True}
    assert check(spec, None, mode=BROUILLON).erreurs == {}
    refused(spec, None, "Ce champ est obligatoire.")
    # Format rules apply to drafts too: an invalid value is never stored.
    refused({"key": "q", "type": "integer"}, "abc", "Nombre entier attendu", mode=BROUILLON)


# --- conditions -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, expected", [
    ({"equals": {"field": "a", "value": "oui"}}, True),
    ({"equals": {"field": "a", "value": "non"}}, False),
    ({"not_equals": {"field": "a", "value": "non"}}, True),
    ({"in": {"field": "m", "values": ["z", "y"]}}, True),
    ({"not_in": {"field": "m", "values": ["z", "w"]}}, False),
    ({"equals": {"field": "m", "value": "x"}}, False),
    ({"and": [{"equals": {"field": "a", "value": "oui"}}, {"in": {"field": "m", "values": ["y"]}}]}, True),
    ({"or": [{"equals": {"field": "a", "value": "non"}}, {"equals": {"field": "n", "value": 3}}]}, True),
    ({"not": {"equals": {"field": "a", "value": "oui"}}}, False),
    ({"equals": {"field": "absent", "value": "oui"}}, False),
    ({"not_equals": {"field": "absent", "value": "oui"}}, True),
])
def test_condition_operators(condition, expected):
    values = {"a": "oui", "m": ["y", "z"], "n": 3}
    assert conditions.evaluate(condition, values.get) is expected


def _conditional_definition():
    return definition([
        {"key": "coordination", "type": "yes_no", "label": "Coordination ?", "required": True},
        {"key": "structures", "type": "textarea", "label": "Avec qui ?", "required": True,
         "visible_if": {"equals": {"field": "coordination", "value": "oui"}}},
        {"key": "detail", "type": "text", "label": "Détail",
         "visible_if": {"not_equals": {"field": "structures", "value": "personne"}}},
    ])


def test_hidden_fields_are_neither_required_nor_stored():
    defn = _conditional_definition()
    posted = MultiDict({"coordination": "non", "structures": "réponse devenue masquée", "detail": "garde"})
    result = valider(defn, brut_depuis_formdata(defn, posted), mode=DEPOT)
    assert result.erreurs == {}
    assert result.reponses == {"coordination": False, "detail": "garde"}  # hidden answer dropped
    shown = valider(defn, brut_depuis_formdata(defn, MultiDict({"coordination": "oui"})), mode=DEPOT)
    assert shown.erreurs == {"structures": ["Ce champ est obligatoire."]}


def test_hidden_field_hides_its_dependents():
    defn = definition([
        {"key": "a", "type": "yes_no", "label": "A"},
        {"key": "b", "type": "choice", "label": "B", "choices": CHOIX,
         "visible_if": {"equals": {"field": "a", "value": "oui"}}},
        {"key": "c", "type": "text", "label": "C", "visible_if": {"equals": {"field": "b", "value": "a"}}},
    ])
    result = valider(defn, brut_depuis_formdata(defn, MultiDict({"a": "non", "b": "a", "c": "x"})), mode=DEPOT)
    assert result.reponses == {"a": False}


def test_section_condition():
    defn = definition([], sections=[
        {"title": "Une", "fields": [{"key": "a", "type": "yes_no", "label": "A"}]},
        {"title": "Deux", "visible_if": {"equals": {"field": "a", "value": "oui"}},
         "fields": [{"key": "b", "type": "text", "label": "B", "required": True}]},
    ])
    result = valider(defn, brut_depuis_formdata(defn, MultiDict({"a": "non", "b": "x"})), mode=DEPOT)
    assert result.erreurs == {} and result.reponses == {"a": False}
    assert valider(defn, brut_depuis_formdata(defn, MultiDict({"a": "oui"})), mode=DEPOT).erreurs == {
        "b": ["Ce champ est obligatoire."]}


def test_display_follows_the_definition():
    defn = _conditional_definition()
    items = elements_affichage(defn, {"coordination": True, "structures": "Mairie,"})
    assert [(i["label"], i["value_text"]) for i in items] == [
        ("Coordination ?", "Oui"), ("Avec qui ?", "Mairie,"), ("Détail", "")]
    assert {i["section"] for i in items} == {"Section"}
