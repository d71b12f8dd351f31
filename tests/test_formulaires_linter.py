"""The linter: each error with its precise message; the shipped definitions are clean; `flask formulaires lint`."""

import pytest
import yaml

from app.formulaires.definition import FORMS_DIR, shipped_files
from app.formulaires.linter import lint, lint_texte
from tests.formulaires_helpers import definition

OUI_NON = {"key": "a", "type": "yes_no", "label": "A ?"}


def messages(defn) -> list[str]:
    return [str(p) for p in lint(defn)]


def assert_reports(defn, *expected: str):
    found = messages(defn)
    for text in expected:
        assert any(text in m for m in found), f"{text!r} absent de {found}"


def test_a_valid_definition_passes():
    assert messages(definition([OUI_NON, {"key": "b", "type": "text", "label": "B",
                                          "visible_if": {"equals": {"field": "a", "value": "oui"}}}])) == []


def test_unknown_type():
    assert_reports(definition([{"key": "adresse", "type": "adresse_postale", "label": "Adresse"}]),
                   "champ « adresse » : type inconnu « adresse_postale » (types possibles : text, textarea,")
    assert len(messages(definition([{"key": "x", "type": "inconnu", "label": "X"}]))) == 1  # said once


def test_duplicate_key():
    defn = definition([], sections=[
        {"title": "Une", "fields": [{"key": "nom", "type": "text", "label": "Nom"}]},
        {"title": "Deux", "fields": [{"key": "nom", "type": "email", "label": "Nom encore"}]},
    ])
    assert_reports(defn, "section « Deux » › champ « nom » : clé « nom » en double")


def test_duplicate_key_in_a_group():
    defn = definition([{"key": "g", "type": "group", "label": "G", "fields": [
        {"key": "s", "type": "siret", "label": "S"}, {"key": "s", "type": "text", "label": "T"}]}])
    assert_reports(defn, "clé « s » en double dans le groupe")


def test_condition_on_unknown_field():
    defn = definition([{"key": "b", "type": "text", "label": "B",
                        "visible_if": {"equals": {"field": "fantome", "value": "oui"}}}])
    assert_reports(defn, "champ « b » › visible_if : la condition porte sur un champ inconnu « fantome »")


def test_condition_on_later_field():
    defn = definition([{"key": "b", "type": "text", "label": "B",
                        "visible_if": {"equals": {"field": "a", "value": "oui"}}}, OUI_NON])
    assert_reports(defn, "la condition porte sur « a », placé après ce champ")


def test_cycle():
    defn = definition([
        {"key": "a", "type": "yes_no", "label": "A", "visible_if": {"equals": {"field": "b", "value": "oui"}}},
        {"key": "b", "type": "yes_no", "label": "B", "visible_if": {"not": {"equals": {"field": "a", "value": "non"}}}},
    ])
    assert_reports(defn, "cycle de conditions : a → b → a")
    self_reference = definition([{"key": "a", "type": "yes_no", "label": "A",
                                  "visible_if": {"equals": {"field": "a", "value": "oui"}}}])
    assert_reports(self_reference, "cycle de conditions : a → a")


def test_choice_default_outside_choices():
    defn = definition([{"key": "c", "type": "choice", "label": "C", "default": "z",
                        "choices": [{"value": "x", "label": "X"}, {"value": "y", "label": "Y"}]}])
    assert_reports(defn, "champ « c » : valeur par défaut « z » absente des choix (x, y)")
    assert_reports(definition([{"key": "o", "type": "yes_no", "label": "O", "default": "peut-etre"}]),
                   "valeur par défaut « peut-etre » absente des choix (oui, non)")
    assert_reports(definition([{"key": "m", "type": "multiple_choice", "label": "M", "default": ["x", "w"],
                                "choices": [{"value": "x", "label": "X"}]}]), "valeur par défaut « w » absente")


def test_condition_value_outside_choices_and_unusable_fields():
    defn = definition([OUI_NON, {"key": "f", "type": "file", "label": "F"},
                       {"key": "b", "type": "text", "label": "B", "visible_if": {"or": [
                           {"equals": {"field": "a", "value": "yes"}}, {"equals": {"field": "f", "value": "x"}}]}}])
    assert_reports(defn, "la valeur « yes » n'est pas un des choix de « a » (oui, non)",
                   "la condition porte sur « f », de type « file », qui ne peut pas servir de condition")


def test_condition_on_group_sub_field():
    defn = definition([{"key": "g", "type": "group", "label": "G", "fields": [{"key": "s", "type": "yes_no", "label": "S"}]},
                       {"key": "b", "type": "text", "label": "B", "visible_if": {"equals": {"field": "s", "value": "oui"}}}])
    assert_reports(defn, "la condition porte sur « s », sous-champ du groupe « g »")


def test_malformed_condition():
    defn = definition([OUI_NON, {"key": "b", "type": "text", "label": "B", "visible_if": {"greater": {"field": "a"}}}])
    assert_reports(defn, "opérateur de condition inconnu « greater »")


def test_rules_that_do_not_fit():
    assert_reports(definition([{"key": "n", "type": "integer", "label": "N", "max_length": 3}]),
                   "la propriété « max_length » ne s'applique pas au type « integer »")
    assert_reports(definition([{"key": "t", "type": "text", "label": "T", "min_length": 5, "max_length": 2}]),
                   "longueur : « min_length » (5) est supérieur à « max_length » (2)")
    assert_reports(definition([{"key": "t", "type": "text", "label": "T", "pattern": "[0-9"}]),
                   "propriété obligatoire manquante : « pattern_message »")
    assert_reports(definition([{"key": "t", "type": "text", "label": "T", "pattern": "[0-9", "pattern_message": "x"}]),
                   "motif (pattern) invalide")
    assert_reports(definition([{"key": "d", "type": "date", "label": "D", "min": "10/12/2023"}]),
                   "« min » : date attendue au format AAAA-MM-JJ")
    assert_reports(definition([{"key": "g", "type": "group", "label": "G",
                                "fields": [{"key": "f", "type": "file", "label": "F"}]}]),
                   "le type « file » n'est pas possible dans un groupe répété")
    assert_reports(definition([{"key": "f", "type": "file", "label": "F", "accept": ["exe"]}]),
                   "valeur « exe » non autorisée")


def test_form_level_errors():
    assert_reports(definition([OUI_NON], form_id="Mon Formulaire"), "identifiant « Mon Formulaire » invalide")
    assert_reports(definition([OUI_NON], form_id="publier"), "identifiant « publier » réservé")
    assert_reports(definition([OUI_NON], closes_at="10/12/2023"), "date et heure attendues au format AAAA-MM-JJTHH:MM")
    assert_reports(definition([OUI_NON], opens_at="2023-12-11T00:00", closes_at="2023-12-10T23:59"),
                   "la date limite doit être postérieure à la date d'ouverture")
    assert_reports(definition([{"key": "data", "type": "text", "label": "D"}]), "clé « data » réservée par le moteur")
    assert_reports(definition([OUI_NON], respondent_email_field="a"), "n'est pas la clé d'un champ de type email")
    assert_reports({"id": "x", "sections": []}, "propriété obligatoire manquante : « title »",
                   "au moins 1 élément(s) attendu(s)")


def test_the_published_schema_is_a_valid_json_schema():
    from jsonschema import Draft202012Validator

    from app.formulaires.definition import schema

    Draft202012Validator.check_schema(schema())
    assert set(schema()["$defs"]["field"]["properties"]["type"]["enum"]) == set(__import__(
        "app.formulaires.types_champs", fromlist=["TYPES"]).TYPES)


def test_unreadable_text():
    defn, problems = lint_texte("id: x\ntitle: [pas fermé\n")
    assert defn is None and "Le texte n'est pas un YAML valide (ligne" in str(problems[0])
    assert "doit être un objet" in str(lint_texte("- une liste")[1][0])


def test_yaml_keeps_words_and_dates_as_text():
    defn, problems = lint_texte(
        "id: x\ntitle: T\ncloses_at: 2023-12-10T23:59\nsections:\n- title: S\n  fields:\n"
        "  - {key: a, type: choice, label: A, default: non, choices: [{value: non, label: Non}, {value: oui, label: Oui}]}\n")
    assert problems == [] and defn["closes_at"] == "2023-12-10T23:59" and defn["sections"][0]["fields"][0]["default"] == "non"


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: p.name)
def test_shipped_definitions_are_clean(path):
    defn, problems = lint_texte(path.read_text(encoding="utf-8"))
    assert problems == [], [str(p) for p in problems]
    assert defn["id"] == path.stem


def test_shipped_forms_are_the_three_of_the_issue():
    assert {p.stem for p in shipped_files()} >= {"motivation-coordinateur", "candidature-coordinateur",
                                                  "gouvernance-pressentie"}


def test_cli_lint(app, tmp_path):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["formulaires", "lint"])
    assert ok.exit_code == 0, ok.output
    assert "motivation-coordinateur.yaml : OK" in ok.output
    bad = tmp_path / "mauvais.yaml"
    bad.write_text(yaml.safe_dump(definition([{"key": "x", "type": "inconnu", "label": "X"}])), encoding="utf-8")
    result = runner.invoke(args=["formulaires", "lint", str(bad), str(FORMS_DIR / "gouvernance-pressentie.yaml")])
    assert result.exit_code == 1
    assert "type inconnu « inconnu »" in result.output
