"""Value formulas: a small parser over arithmetic, never `eval`.

Grammar: numbers (plain decimals), declared variables, `+ - * /`, unary `-`, parentheses and
the functions `min(a, b, …)`, `max(a, b, …)`, `round(x)` / `round(x, places)` and `abs(x)`.
An expression is at most `MAX_LENGTH` characters and `MAX_DEPTH` levels deep; it is parsed
once (a bad one is a 422 naming `formula.expression`) and evaluated in exact `Decimal`
arithmetic (28 significant digits, half-even rounding).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation

MAX_LENGTH = 500
MAX_DEPTH = 32
MAX_NUMBER = 30  # characters of one numeric literal
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=[DivisionByZero, InvalidOperation])
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\S))", re.ASCII)
FUNCTIONS = {"min": (1, 20), "max": (1, 20), "round": (1, 2), "abs": (1, 1)}


class FormulaError(ValueError):
    """The expression is not a formula over the declared variables (the message says why)."""


@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # "num", "var", "neg", "+", "-", "*", "/", "call"
    value: Decimal | str | None = None
    args: tuple[Node, ...] = ()


def parse(expression: str, variables: Sequence[str]) -> Node:
    """The expression's tree; `FormulaError` if it is malformed, too long or too deep, or
    names an undeclared variable or unknown function."""
    if len(expression) > MAX_LENGTH:
        raise FormulaError(f"is longer than {MAX_LENGTH} characters")
    parser = _Parser(_tokens(expression), frozenset(variables))
    node = parser.expression(0)
    if parser.peek() is not None:
        raise FormulaError(f"unexpected {parser.peek()!r}")
    return node


def names(node: Node) -> set[str]:
    """The variables `node` reads."""
    found = {str(node.value)} if node.kind == "var" else set()
    for arg in node.args:
        found |= names(arg)
    return found


def evaluate(node: Node, values: Mapping[str, Decimal]) -> Decimal:
    """The value of `node` with `values` bound; `FormulaError` on division by zero."""
    try:
        return _CONTEXT.plus(_eval(node, values))
    except (DivisionByZero, InvalidOperation):
        raise FormulaError("divides by zero") from None


def _eval(node: Node, values: Mapping[str, Decimal]) -> Decimal:
    kind = node.kind
    if kind == "num":
        assert isinstance(node.value, Decimal)
        return node.value
    if kind == "var":
        return values[str(node.value)]
    args = [_eval(a, values) for a in node.args]
    if kind == "neg":
        return _CONTEXT.minus(args[0])
    if kind == "call":
        return _call(str(node.value), args)
    left, right = args
    operation = {"+": _CONTEXT.add, "-": _CONTEXT.subtract, "*": _CONTEXT.multiply}
    return operation[kind](left, right) if kind in operation else _CONTEXT.divide(left, right)


def _call(name: str, args: list[Decimal]) -> Decimal:
    if name == "min":
        return min(args)
    if name == "max":
        return max(args)
    if name == "abs":
        return abs(args[0])
    places = int(args[1]) if len(args) == 2 else 0
    if not 0 <= places <= 12 or (len(args) == 2 and args[1] != places):
        raise FormulaError("round() takes 0 to 12 whole places")
    return args[0].quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing white space is left
            break
        token = match.group(match.lastindex or 0)
        if match.group(1) and len(token) > MAX_NUMBER:
            raise FormulaError(f"has a number longer than {MAX_NUMBER} characters")
        tokens.append(token)
        position = match.end()
    if not tokens:
        raise FormulaError("is empty")
    return tokens


class _Parser:
    """Recursive descent; `depth` counts nesting so a hostile input cannot recurse deeply."""

    def __init__(self, tokens: list[str], variables: frozenset[str]) -> None:
        self.tokens, self.position, self.variables = tokens, 0, variables

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise FormulaError("ends too early")
        self.position += 1
        return token

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise FormulaError(f"is nested more than {MAX_DEPTH} levels deep")
        node = self.term(depth)
        while self.peek() in ("+", "-"):
            node = Node(self.take(), args=(node, self.term(depth)))
        return node

    def term(self, depth: int) -> Node:
        node = self.unary(depth)
        while self.peek() in ("*", "/"):
            node = Node(self.take(), args=(node, self.unary(depth)))
        return node

    def unary(self, depth: int) -> Node:
        if self.peek() in ("-", "+"):
            sign = self.take()
            if depth + 1 > MAX_DEPTH:
                raise FormulaError(f"is nested more than {MAX_DEPTH} levels deep")
            inner = self.unary(depth + 1)
            return Node("neg", args=(inner,)) if sign == "-" else inner
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        token = self.take()
        if token[0] in "0123456789.":  # not str.isdigit: "²" is a digit to it
            return Node("num", Decimal(token))
        if token == "(":
            node = self.expression(depth + 1)
            self.expect(")")
            return node
        if token[0].isascii() and (token[0].isalpha() or token[0] == "_"):
            if self.peek() == "(":
                return self.call(token, depth)
            if token not in self.variables:
                raise FormulaError(f"uses {token!r}, which is not a declared variable")
            return Node("var", token)
        raise FormulaError(f"unexpected {token!r}")

    def call(self, name: str, depth: int) -> Node:
        if name not in FUNCTIONS:
            raise FormulaError(f"calls {name!r}; the functions are {', '.join(FUNCTIONS)}")
        self.take()  # "("
        args = [self.expression(depth + 1)]
        while self.peek() == ",":
            self.take()
            args.append(self.expression(depth + 1))
        self.expect(")")
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            raise FormulaError(f"{name}() takes {low} to {high} arguments, not {len(args)}")
        return Node("call", name, tuple(args))

    def expect(self, token: str) -> None:
        if self.peek() != token:
            raise FormulaError(f"expected {token!r}")
        self.take()
