"""Conditional visibility: a small expression tree over the answers to earlier fields.

    {"equals": {"field": "k", "value": v}}       {"not_equals": {"field": "k", "value": v}}
    {"in": {"field": "k", "values": [v, ...]}}   {"not_in": {"field": "k", "values": [v, ...]}}
    {"and": [c, ...]}   {"or": [c, ...]}   {"not": c}

For a multiple choice field, `equals v` means "v is among the selected answers" and `in [..]` means
"at least one selected answer is in the list". An unanswered or hidden field has no value: `equals`
and `in` are false, `not_equals` and `not_in` are true. `static/js/formulaires.js` mirrors this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

LEAF_OPERATORS = ("equals", "not_equals", "in", "not_in")
OPERATORS = (*LEAF_OPERATORS, "and", "or", "not")


def _same(answer: Any, expected: Any) -> bool:
    if isinstance(answer, bool) or isinstance(expected, bool):
        return answer is expected
    if isinstance(answer, int | float) and isinstance(expected, int | float):
        return answer == expected
    return str(answer) == str(expected) if answer is not None and expected is not None else False


def _matches(answer: Any, expected: Any) -> bool:
    if answer is None:
        return False
    if isinstance(answer, list):
        return any(_same(a, expected) for a in answer)
    return _same(answer, expected)


def evaluate(condition: dict | None, value_of: Callable[[str], Any]) -> bool:
    """True when the condition holds; `value_of(key)` gives a field's condition value (None if none)."""
    if not condition:
        return True
    (operator, operand), = condition.items()
    if operator == "and":
        return all(evaluate(c, value_of) for c in operand)
    if operator == "or":
        return any(evaluate(c, value_of) for c in operand)
    if operator == "not":
        return not evaluate(operand, value_of)
    answer = value_of(operand["field"])
    if operator == "equals":
        return _matches(answer, operand["value"])
    if operator == "not_equals":
        return not _matches(answer, operand["value"])
    if operator == "in":
        return any(_matches(answer, v) for v in operand["values"])
    if operator == "not_in":
        return not any(_matches(answer, v) for v in operand["values"])
    raise ValueError(f"opérateur inconnu : {operator}")


def references(condition: Any) -> Iterator[str]:
    """The keys a condition reads (tolerant of malformed trees: the linter reports those)."""
    if not isinstance(condition, dict):
        return
    for operator, operand in condition.items():
        if operator in ("and", "or") and isinstance(operand, list):
            for sub in operand:
                yield from references(sub)
        elif operator == "not":
            yield from references(operand)
        elif operator in LEAF_OPERATORS and isinstance(operand, dict) and isinstance(operand.get("field"), str):
            yield operand["field"]


def leaves(condition: Any) -> Iterator[tuple[str, dict]]:
    if not isinstance(condition, dict):
        return
    for operator, operand in condition.items():
        if operator in ("and", "or") and isinstance(operand, list):
            for sub in operand:
                yield from leaves(sub)
        elif operator == "not":
            yield from leaves(operand)
        elif operator in LEAF_OPERATORS and isinstance(operand, dict):
            yield operator, operand


def describe(condition: dict | None, label_of: Callable[[str], str], text_of: Callable[[str, Any], str]) -> str:
    """A French sentence for people without JavaScript: « Q » est « Oui » et …"""
    if not condition:
        return ""
    (operator, operand), = condition.items()
    if operator in ("and", "or"):
        glue = " et " if operator == "and" else " ou "
        return glue.join(f"({describe(c, label_of, text_of)})" if len(c) and next(iter(c)) in ("and", "or")
                         else describe(c, label_of, text_of) for c in operand)
    if operator == "not":
        return f"non ({describe(operand, label_of, text_of)})"
    label = label_of(operand["field"])
    if operator == "equals":
        return f"« {label} » : « {text_of(operand['field'], operand['value'])} »"
    if operator == "not_equals":
        return f"« {label} » : autre réponse que « {text_of(operand['field'], operand['value'])} »"
    values = ", ".join(f"« {text_of(operand['field'], v)} »" for v in operand["values"])
    if operator == "in":
        return f"« {label} » : {values}"
    return f"« {label} » : autre réponse que {values}"
