"""Money: integer minor units plus an ISO 4217 code. Never floats.

`EXPONENTS` holds the minor-unit exponent of every active ISO 4217 currency; conversion to a
facade's decimal format happens only in `to_decimal_string` / `from_decimal_string`.
"""

from __future__ import annotations

from tillroll.errors import InvalidInput
from tillroll.kit import parse

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VES "
    "VED WST XCD XCG YER ZAR ZMW ZWG"
)

EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}

MAX_AMOUNT = 10**15
"""Largest absolute amount accepted, in minor units (a quadrillion cents)."""


def is_currency(code: str) -> bool:
    return code in EXPONENTS


def to_decimal_string(amount: int, currency: str, places: int | None = None) -> str:
    """`3800, "USD"` → `"38.00"`; `places` pads further (`"38.0000"`)."""
    exp = EXPONENTS[currency]
    whole, minor = divmod(abs(amount), 10**exp)
    sign = "-" if amount < 0 else ""
    text = f"{sign}{whole}.{minor:0{exp}d}" if exp else f"{sign}{whole}"
    if places is not None and places > exp:
        text += ("" if exp else ".") + "0" * (places - exp)
    return text


def from_decimal_string(text: str, currency: str, *, field: str = "amount") -> int:
    """`"38.00", "USD"` → `3800`; refuses (422 naming `field`) more decimals than the currency
    has, and more than `MAX_AMOUNT`. Parsed through the guard: never a huge conversion."""
    exponent = EXPONENTS[currency]
    value = parse.decimal(text, field=field, places=exponent)
    minor = int(value.scaleb(exponent))  # bounded: at most 16 + 4 digits
    if abs(minor) > MAX_AMOUNT:
        raise InvalidInput.field(field, f"{text} is more than {MAX_AMOUNT} minor units")
    return minor


SYMBOLS: dict[str, str] = {
    "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "CHF": "CHF", "SEK": "kr",
    "NOK": "kr", "DKK": "kr", "PLN": "zł", "CZK": "Kč", "HUF": "Ft", "INR": "₹", "KRW": "₩",
    "TRY": "₺", "ILS": "₪", "BRL": "R$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "MXN": "MX$",
    "ZAR": "R", "RUB": "₽", "UAH": "₴", "THB": "฿", "VND": "₫", "PHP": "₱", "NGN": "₦",
}  # fmt: skip
"""Display symbols of common currencies; others display their ISO code."""


def symbol(currency: str) -> str:
    return SYMBOLS.get(currency, currency)
