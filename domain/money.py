"""Money is Decimal with an ISO 4217 currency; amounts travel as strings."""

from decimal import Decimal

from babel.numbers import get_currency_precision, list_currencies

# CLDR's list: every ISO 4217 code in use, plus some historic ones a billing system may still emit.
KNOWN_CURRENCIES = frozenset(list_currencies())


def minor_units(currency: str) -> int:
    """Digits after the decimal point for the currency (CNY 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


def check_amount(amount: Decimal, currency: str) -> Decimal:
    """Raise ValueError unless amount is a positive, finite amount expressible in the currency."""
    if currency not in KNOWN_CURRENCIES:
        raise ValueError(f"unknown currency {currency!r} (expected an ISO 4217 code such as CNY, USD, EUR)")
    if not amount.is_finite():
        raise ValueError("amount must be a finite number")
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite amounts have an int exponent
    if -exponent > minor_units(currency):
        raise ValueError(f"amount {amount} has more decimals than {currency} allows ({minor_units(currency)})")
    return amount
