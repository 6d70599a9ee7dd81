from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tillroll.values import formula


def value(expression: str, **values: str) -> Decimal:
    tree = formula.parse(expression, list(values))
    return formula.evaluate(tree, {k: Decimal(v) for k, v in values.items()})


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("1", {}, "1"),
        ("minutes / 60", {"minutes": "20"}, "0.3333333333333333333333333333"),
        ("2 + 3 * 4", {}, "14"),
        ("(2 + 3) * 4", {}, "20"),
        ("-a + -(-b)", {"a": "1.5", "b": "4"}, "2.5"),
        ("min(a, 10) + max(a, 10, 3)", {"a": "12"}, "22"),
        ("round(a, 2)", {"a": "2.345"}, "2.34"),  # half to even
        ("round(a)", {"a": "2.5"}, "2"),
        ("abs(a - 10)", {"a": "4"}, "6"),
        ("0.1 + 0.2", {}, "0.3"),  # exact decimals, not floats
    ],
)
def test_evaluates_exactly(expression: str, values: dict[str, str], expected: str) -> None:
    assert value(expression, **values) == Decimal(expected)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "is empty"),
        ("a +", "ends too early"),
        ("a b", "unexpected 'b'"),
        ("undeclared * 2", "not a declared variable"),
        ("__import__('os')", "calls '__import__'"),
        ("open(1)", "calls 'open'"),
        ("a ** 2", "unexpected '*'"),
        ("a.b", "unexpected"),
        ("min()", "unexpected ')'"),
        ("abs(1, 2)", "takes 1 to 1 arguments"),
        ("1" * 31, "number longer than 30"),
        ("(" * 40 + "1" + ")" * 40, "nested more than 32"),
        ("-" * 40 + "1", "nested more than 32"),
        ("1+" * 300 + "1", "longer than 500"),
        ("'x'", "unexpected"),
        ("²", "unexpected '²'"),  # a digit to str.isdigit, not a number
        ("a * ٣", "unexpected '٣'"),
        ("ª + 1", "unexpected 'ª'"),  # a letter to str.isalpha, not a name
    ],
)
def test_refuses(expression: str, message: str) -> None:
    with pytest.raises(formula.FormulaError, match=re.escape(message)):
        formula.parse(expression, ["a"])


def test_division_by_zero_is_a_formula_error() -> None:
    with pytest.raises(formula.FormulaError, match="divides by zero"):
        value("1 / a", a="0")


def test_round_places_must_be_whole() -> None:
    with pytest.raises(formula.FormulaError, match="whole places"):
        value("round(1, 0.5)")


def test_names_lists_the_variables_read() -> None:
    assert formula.names(formula.parse("a * min(b, 2)", ["a", "b", "c"])) == {"a", "b"}
