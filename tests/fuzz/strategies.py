"""Request parts for the fuzzer: documents generated from the endpoints' msgspec schemas, then
hostile mutations (invalid UTF-8, NaN, huge exponents, long digit runs, wrong types, nesting)."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Any
from urllib.parse import quote

import msgspec.inspect as mi
from hypothesis import strategies as st

from tests.factories import receipt, simple_receipt


@dataclass(frozen=True)
class Raw:
    """JSON text written as is: what no encoder would produce."""

    text: bytes


NUMBERS = [b"NaN", b"Infinity", b"-Infinity", b"1E+999990", b"1e-999990", b"-0", b"1E400",
           b"9" * 5000, b"0." + b"1" * 3000, b"18446744073709551616", b"-9223372036854775809",
           b"1.5e308", b"0.000001", b"1e2"]  # fmt: skip
TEXTS = ["NaN", "sNaN", "-sNaN", "Infinity", "-inf", "1E+999990", "1e-999990", "9" * 5000,
         "0." + "3" * 3000, "eur", "XXX", "EURO", "America", "Europe", "../etc/passwd",
         "a" * 300, "", " 1 ", "1_000", "١٢", "²", "0x10", "1,50", "-", "\u200b", "\ud800" * 0,
         "2026-13-45T25:61:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "0",
         "-1", "+6 months -5 days" * 20, "-999999 months", "Europe/Amsterdam/../x"]  # fmt: skip
INVALID_UTF8 = [b'"\xff\xfe"', b'"a\xc3"', b'"\xed\xa0\x80"', b'"\xc0\xaf"', b'"ok\x80ok"']
ODD_IDS = ["9" * 5000, "-1", "0", "1E+999990", "NaN", "%FF%FE", "%C3", "²", "0x1", "%2e%2e",
           "18446744073709551616", "9223372036854775807"]  # fmt: skip
WRONG = [True, False, None, [], {}, -1, 0, 2**64, -(2**63) - 1, 1.5, [1, [2, [3]]], {"a": 1}]


def _deep(depth: int) -> Raw:
    return Raw(b"[" * depth + b"]" * depth)


hostile_number: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from([Raw(n) for n in NUMBERS]),
    st.sampled_from([t for t in TEXTS if t[:1].isdigit() or t in ("NaN", "sNaN", "-inf")]),
)
hostile_value: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from([Raw(n) for n in NUMBERS]),
    st.sampled_from(TEXTS),
    st.sampled_from([Raw(t) for t in INVALID_UTF8]),
    st.sampled_from(WRONG).map(copy.deepcopy),
    st.integers(min_value=10, max_value=3000).map(_deep),
)
hostile_text: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(TEXTS), st.text(max_size=30), st.integers().map(str)
)


def dump(value: Any) -> bytes:
    """JSON bytes of `value`, `Raw` parts spliced in verbatim."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        items = (dump(str(k)) + b":" + dump(v) for k, v in value.items())
        return b"{" + b",".join(items) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(dump(v) for v in value) + b"]"
    return json.dumps(value).encode()


def for_type(t: mi.Type) -> st.SearchStrategy[Any]:
    """Plausible JSON values of a msgspec type (mostly valid, so deeper checks are reached)."""
    if isinstance(t, mi.Metadata):
        return for_type(t.type)
    if isinstance(t, mi.IntType):
        low = t.ge if t.ge is not None else -(2**63)
        high = t.le if t.le is not None else 2**63 - 1
        return st.integers(min_value=low, max_value=high)
    if isinstance(t, mi.StrType):
        if t.pattern:
            return st.from_regex(t.pattern, fullmatch=True)
        low, high = t.min_length or 0, min(t.max_length or 24, 24)
        return st.text(min_size=low, max_size=max(low, high))
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.DecimalType):
        decimals = st.decimals(allow_nan=False, allow_infinity=False, places=3,
                               min_value=-(10**6), max_value=10**6)  # fmt: skip
        return st.one_of(decimals.map(str), decimals.map(lambda d: Raw(str(d).encode())))
    if isinstance(t, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(t, mi.DateTimeType):
        return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    if isinstance(t, mi.DateType):
        return st.dates().map(lambda d: d.isoformat())
    if isinstance(t, mi.UUIDType):
        return st.uuids().map(str)
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(list(t.values))
    if isinstance(t, mi.EnumType):
        return st.sampled_from([m.value for m in t.cls])
    if isinstance(t, mi.ListType):
        return st.lists(for_type(t.item_type), min_size=min(t.min_length or 0, 3), max_size=3)
    if isinstance(t, mi.UnionType):
        return st.one_of([for_type(x) for x in t.types])
    if isinstance(t, mi.StructType):
        return _struct(t)
    return st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)


def _struct(t: mi.StructType) -> st.SearchStrategy[dict[str, Any]]:
    required = {f.encode_name: for_type(f.type) for f in t.fields if f.required}
    optional = {f.encode_name: for_type(f.type) for f in t.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


BASKET: dict[str, Any] = {
    "entity": {"entity_type": "chain", "employee_code": "E1"},
    "user": {"member_number": "4711"},
    "basket": {
        "retailer_basket_code": "B-1", "basket_total_price": 64.85,
        "basket_timestamp_iso8601": "2026-03-01T11:00:00",
        "basket_timezone_name": "Europe/Amsterdam", "shipping_charge": 0,
        "basket_currency": {"currency_code": "EUR"},
        "payment_methods": [{"payment_method": "card", "payment_amount": 64.85}],
        "basket_tax": [{"tax_rate": 0.21, "tax_total": 11.25}],
        "basket_items": [
            {"retailer_item_code": "TEE-L", "item_name": "Tee", "item_quantity": 2,
             "item_price": 19.95, "item_original_price": 24.95, "item_subtotal": 39.9},
            {"retailer_item_code": "APPLE", "item_name": "Apples", "item_quantity": 1.055,
             "item_quantity_unit": "kg", "item_price": 23.65,
             "return_item": False, "original_retailer_basket_code": "FUZZ-1"},
        ],
    },
}  # fmt: skip
EXAMPLES: dict[str, list[Any]] = {
    "AddBasket": [BASKET],
    "ReceiptCreate": [receipt("FUZZ-2"), simple_receipt("FUZZ-3", quantity="1.055")],
    "ReceiptBatch": [{"receipts": [receipt("FUZZ-4"), simple_receipt("FUZZ-5")]}],
    "ClaimBody": [{"customer": {"member_number": "4711"}}],
    "BranchCreate": [{"code": "F2", "name": "F", "timezone": "Europe/Amsterdam"}],
    "MerchantSettingsUpdate": [{"default_currency": "EUR", "timezone": "Europe/Amsterdam"}],
}
"""Valid documents per schema: mutating these reaches the checks behind validation."""


def body_for(schema: Any) -> st.SearchStrategy[bytes]:
    """A body for `schema`: a generated or example document, often mutated, sometimes not
    JSON at all."""
    examples = [copy.deepcopy(e) for e in EXAMPLES.get(schema.__name__, [])]
    generated = for_type(mi.type_info(schema))
    known = st.sampled_from(examples).map(copy.deepcopy) if examples else generated
    whole = st.sampled_from([b"", b"null", b"[]", b"\xff\xfe", b"{", b"1E+999990", b'"x"',
                             b'{"a":' * 3000, dump(_deep(5000))])  # fmt: skip
    mutated = st.one_of(_mutated(known), _mutated(known), _mutated(generated))
    return st.one_of(mutated, mutated, mutated, known.map(dump), generated.map(dump), whole)


@st.composite
def _mutated(draw: st.DrawFn, document: st.SearchStrategy[Any]) -> bytes:
    """A document with one to three hostile values, mostly where numbers are."""
    value = draw(document)
    for _ in range(draw(st.integers(1, 3))):
        numeric = draw(st.integers(0, 2)) > 0
        slots = list(_slots(value))
        if numeric:
            slots = [(p, k) for p, k in slots if _numeric(p[k])] or slots
        if not slots:
            return dump(draw(hostile_value))
        parent, key = slots[draw(st.integers(0, len(slots) - 1))]
        parent[key] = draw(hostile_number if numeric else hostile_value)
    return dump(value)


def _numeric(value: Any) -> bool:
    if isinstance(value, str):
        return value[:1].isdigit() or value[:1] == "-"
    return isinstance(value, int | float) and not isinstance(value, bool)


def _slots(value: Any) -> Any:
    """Every (container, key) of a document, depth first: the places a value can go."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in list(items):
        yield value, key
        yield from _slots(child)


def query_for(schema: Any) -> st.SearchStrategy[str]:
    """A query string: the schema's parameters with plausible or hostile text, raw escapes."""
    if schema is None:
        return st.just("")
    info = mi.type_info(schema)
    assert isinstance(info, mi.StructType)
    names = [f.encode_name for f in info.fields] + ["unknown"]
    plausible = st.one_of(
        st.sampled_from(["1", "0", "50", "2026-11-21T15:09:26+01:00", "-13 weeks"]), hostile_text
    )
    pair = st.tuples(st.sampled_from(names), plausible.map(lambda v: quote(v, safe="")))
    escaped = st.tuples(st.sampled_from(names), st.sampled_from(["%FF", "%C3", "%00", "%ED%A0%80"]))
    params = st.lists(st.one_of(pair, escaped), max_size=4)
    return params.map(lambda ps: "&".join(f"{k}={v}" for k, v in ps))


def path_value(kind: Any, real: list[str]) -> st.SearchStrategy[str]:
    """A path parameter: one of the caller's real ids, a random one, or hostile (quoted or raw)."""
    odd = st.sampled_from(ODD_IDS)
    fresh = st.uuids().map(str) if kind is uuid.UUID else st.integers(0, 10**6).map(str)
    return st.one_of(
        st.sampled_from(real), fresh, odd, hostile_text.map(lambda v: quote(v, safe=""))
    )
