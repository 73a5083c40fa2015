"""Agency reports (domain.agency_reports): an agency's monthly commission statement and the agencies' performance
by the accounts' age at placement."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.agencies import Placement
from domain.agency_reports import PlacedPayment, Statement, monthly_statement, performance, placed_payment

SHANGHAI = timezone(timedelta(hours=8))


def payment(
    agency: str, account: str, at: datetime, amount: str, currency: str = "CNY", rate: str = "0.15"
) -> PlacedPayment:
    placement = Placement(placement_id=f"{account}-1", agency_id=agency, placed_at=datetime(2026, 1, 5, tzinfo=UTC),
                          days_past_due=45, placed_amount=Decimal("50000"), currency=currency,
                          rate=Decimal(rate))  # fmt: skip
    return placed_payment(account, placement, Decimal(amount), at)


PAYMENTS = [
    payment("a", "acc-2", datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "1000.00"),  # 150.00
    payment("a", "acc-1", datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "333.33"),  # 49.9995: 50.00
    payment("a", "acc-3", datetime(2026, 4, 1, 7, 0, tzinfo=SHANGHAI), "200.00", rate="0.2"),  # 23:00 UTC on 31 March
    payment("a", "acc-4", datetime(2026, 3, 20, tzinfo=UTC), "99.99", currency="USD", rate="0.25"),  # 24.9975: 25.00
    payment("a", "acc-1", datetime(2026, 4, 1, 0, 0, tzinfo=UTC), "500.00"),  # April
    payment("a", "acc-5", datetime(2026, 2, 28, 23, 59, tzinfo=UTC), "500.00"),  # February
    payment("b", "acc-6", datetime(2026, 3, 15, tzinfo=UTC), "700.00"),  # another agency
]


def test_a_payment_s_commission_is_at_its_placement_s_rate() -> None:
    assert (PAYMENTS[1].placement_id, PAYMENTS[1].rate, PAYMENTS[1].commission) == (
        "acc-1-1", Decimal("0.15"), Decimal("50.00")
    )  # fmt: skip


def test_the_statement_holds_the_agency_s_payments_of_the_month_in_utc() -> None:
    statement = monthly_statement("a", 2026, 3, PAYMENTS)
    assert [(line.account_id, line.amount, line.commission) for line in statement.lines] == [
        ("acc-1", Decimal("333.33"), Decimal("50.00")),  # the same instant as acc-2: by account
        ("acc-2", Decimal("1000.00"), Decimal("150.00")),
        ("acc-4", Decimal("99.99"), Decimal("25.00")),
        ("acc-3", Decimal("200.00"), Decimal("40.00")),  # 1 April in Shanghai, still 31 March in UTC
    ]
    assert {currency: (t.payments, t.collected, t.commission) for currency, t in statement.totals.items()} == {
        "CNY": (3, Decimal("1533.33"), Decimal("240.00")),  # 333.33 + 1000 + 200; 50 + 150 + 40
        "USD": (1, Decimal("99.99"), Decimal("25.00")),
    }
    assert list(statement.totals) == ["CNY", "USD"]


def test_other_months_and_agencies_have_their_own_statements() -> None:
    april = monthly_statement("a", 2026, 4, PAYMENTS)
    assert [line.account_id for line in april.lines] == ["acc-1"]
    assert [line.account_id for line in monthly_statement("a", 2026, 2, PAYMENTS).lines] == ["acc-5"]
    other = monthly_statement("b", 2026, 3, PAYMENTS)
    assert other.totals["CNY"].commission == Decimal("105.00")  # 700 × 15%
    empty = monthly_statement("c", 2026, 3, PAYMENTS)
    assert (empty.lines, empty.totals) == ([], {})


def test_a_statement_travels_as_json() -> None:
    statement = monthly_statement("a", 2026, 3, PAYMENTS)
    text = statement.model_dump_json()
    assert '"commission":"240.00"' in text and Statement.model_validate_json(text) == statement


def test_a_month_is_1_to_12() -> None:
    with pytest.raises(ValueError, match="month 13 is not 1 to 12"):
        monthly_statement("a", 2026, 13, PAYMENTS)


def placed(
    agency: str, days: int, amount: str, collected: str = "0", currency: str = "CNY", recalled: bool = False
) -> Placement:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    record = Placement(placement_id=f"p{days}", agency_id=agency, placed_at=start, days_past_due=days,
                       placed_amount=Decimal(amount), currency=currency, rate=Decimal("0.2"))  # fmt: skip
    if Decimal(collected):
        record = record.with_payment(Decimal(collected), start + timedelta(days=10))
    return record.recalled(start + timedelta(days=60), "no payment") if recalled else record


def test_performance_by_agency_age_bucket_and_currency() -> None:
    rows = performance([
        ("acc-1", placed("b", 45, "3000.00", "1000.00")),
        ("acc-2", placed("b", 50, "6000.00", "1000.00", recalled=True)),
        ("acc-2", placed("b", 60, "2000.00")),  # the same account placed again: two placements, one account
        ("acc-3", placed("b", 200, "10000.00", "2500.00")),
        ("acc-4", placed("b", 75, "800.00", "800.00", currency="USD")),
        ("acc-5", placed("a", 31, "1000.00", "3.00")),
    ])  # fmt: skip
    assert [(r.agency_id, r.bucket, r.currency, r.placed, r.accounts, r.recalled) for r in rows] == [
        ("a", "31-60", "CNY", 1, 1, 0),
        ("b", "31-60", "CNY", 3, 2, 1),
        ("b", "61-90", "USD", 1, 1, 0),
        ("b", "90+", "CNY", 1, 1, 0),
    ]
    assert [(r.placed_amount, r.recovered, r.commission, r.recovery_rate) for r in rows] == [
        (Decimal("1000.00"), Decimal("3.00"), Decimal("0.60"), Decimal("0.0030")),
        (Decimal("11000.00"), Decimal("2000.00"), Decimal("400.00"), Decimal("0.1818")),  # 2000 / 11000 = 0.181818...
        (Decimal("800.00"), Decimal("800.00"), Decimal("160.00"), Decimal("1.0000")),
        (Decimal("10000.00"), Decimal("2500.00"), Decimal("500.00"), Decimal("0.2500")),
    ]


def test_recovery_rate_rounds_half_up_to_four_places() -> None:
    (row,) = performance([("acc-1", placed("a", 40, "3000.00", "2000.00"))])
    assert row.recovery_rate == Decimal("0.6667")  # 0.66666...
    (row,) = performance([("acc-1", placed("a", 40, "80000.00", "1.00"))])
    assert row.recovery_rate == Decimal("0.0000")  # 0.0000125


def test_no_placements_no_rows() -> None:
    assert performance([]) == []
