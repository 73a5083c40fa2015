"""Collection agencies (domain.agencies): the example registry, what a file may not say, which account an agency
takes at which rate, its commission, and when a placement is recalled or its first-contact SLA breached."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.agencies import (
    MAX_RATE,
    Agency,
    CommissionRate,
    Placement,
    commission,
    load_agencies,
    recall_due,
    sla_breached,
)
from domain.money import minor_units, to_minor
from domain.policy import DEFAULT_POLICY_DIR

EXAMPLE = load_agencies(DEFAULT_POLICY_DIR)["example-agency"]
PLACED = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
HEADER = 'name = "某商账公司"\nemail = "a@example.com"\nphone = "+86 21 5555 0300"\ncurrencies = ["CNY"]\n'


def write(folder: Path, name: str, text: str) -> Path:
    (folder / "agencies").mkdir(exist_ok=True)
    path = folder / "agencies" / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rate(minimum: int, maximum: int | None, value: str, **amounts: str) -> str:
    bound = f"max_days_past_due = {maximum}\n" if maximum is not None else ""
    extra = "".join(f'{key} = "{amount}"\n' for key, amount in amounts.items())
    return f'[[rates]]\nmin_days_past_due = {minimum}\n{bound}{extra}rate = "{value}"\n'


def placement(**changes: object) -> Placement:
    fields: dict[str, object] = {"placement_id": "p-1", "agency_id": "example-agency", "placed_at": PLACED,
                                 "days_past_due": 45, "placed_amount": Decimal("12000.00"), "currency": "CNY",
                                 "rate": Decimal("0.15")}  # fmt: skip
    return Placement.model_validate(fields | changes)


def test_the_example_agency_loads_with_its_figures() -> None:
    assert EXAMPLE.name == "示例商账管理有限公司" and EXAMPLE.name_in("en") == "Example Debt Management Co., Ltd."
    assert EXAMPLE.name_in("zh-CN") == "示例商账管理有限公司"  # no other name: the registered one
    assert (EXAMPLE.currencies, EXAMPLE.segments, EXAMPLE.min_days_past_due) == (
        ["CNY"], ["standard", "commercial", "trade"], 31
    )  # fmt: skip
    assert (EXAMPLE.report_within_days, EXAMPLE.recall_after_days, EXAMPLE.max_placement_days) == (7, 60, 180)
    assert [r.describe() for r in EXAMPLE.rates] == ["31-90 days, 15%", "91-180 days, 20%", "181+ days, 25%"]


def test_no_agencies_folder_means_no_agencies(tmp_path: Path) -> None:
    assert load_agencies(tmp_path) == {}


def test_the_id_defaults_to_the_file_name_and_may_be_given(tmp_path: Path) -> None:
    write(tmp_path, "first", HEADER + rate(31, None, "0.2"))
    write(tmp_path, "second", 'id = "other"\n' + HEADER + rate(31, None, "0.2"))
    assert sorted(load_agencies(tmp_path)) == ["first", "other"]


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        (
            rate(31, 90, "0.15") + rate(90, None, "0.2"),  # day 90 in both
            "rates 1 (31-90 days, 15%) and 2 (90+ days, 20%) overlap: an account could have both",
        ),
        (
            rate(31, None, "0.2", max_amount="10000") + rate(60, 90, "0.1", min_amount="5000", max_amount="20000"),
            "rates 1 (31+ days below 10000, 20%) and 2 (60-90 days from 5000 below 20000, 10%) overlap",
        ),
        (rate(31, None, "0.51"), "rates.0.rate: Input should be less than or equal to 0.5"),
        (rate(31, None, "0"), "rates.0.rate: Input should be greater than 0"),
        (rate(90, 31, "0.1"), "max_days_past_due 31 is below min_days_past_due 90"),
        (rate(31, None, "0.1", min_amount="100", max_amount="100"), "max_amount 100 is not above min_amount 100"),
        ("", "rates: Field required"),
        ("rates = []\n", "rates: List should have at least 1 item"),
    ],
)
def test_a_bad_rate_is_refused_naming_it(tmp_path: Path, rates: str, message: str) -> None:
    path = write(tmp_path, "bad", HEADER + rates)
    with pytest.raises(ValueError, match=r"agency .*bad\.toml: ") as error:
        load_agencies(tmp_path)
    assert str(error.value).startswith(f"agency {path}: ") and message in str(error.value)


def test_a_bad_currency_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", HEADER.replace('["CNY"]', '["CNY", "XYZ"]') + rate(31, None, "0.2"))
    with pytest.raises(ValueError) as error:
        load_agencies(tmp_path)
    assert str(error.value) == (f"agency {path}: currencies: Value error, unknown currency 'XYZ' (expected an ISO 4217 "
                                "code such as CNY, USD, EUR)")  # fmt: skip


def test_an_unknown_field_and_broken_toml_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "bad", HEADER + "commision = 0.2\n" + rate(31, None, "0.2"))
    with pytest.raises(ValueError, match="commision: Extra inputs are not permitted"):
        load_agencies(tmp_path)
    path.write_text(HEADER + "rates = [", encoding="utf-8")
    with pytest.raises(ValueError, match=f"agency {path}: "):
        load_agencies(tmp_path)


def test_two_files_with_the_same_id_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "one", 'id = "same"\n' + HEADER + rate(31, None, "0.2"))
    write(tmp_path, "two", 'id = "same"\n' + HEADER + rate(31, None, "0.2"))
    with pytest.raises(ValueError) as error:
        load_agencies(tmp_path)
    assert str(error.value) == f"agency 'same' has two files in {tmp_path / 'agencies'}"


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, None), (31, "0.15"), (90, "0.15"), (91, "0.20"), (180, "0.20"), (181, "0.25"), (5000, "0.25")],
)
def test_the_rate_follows_the_age_at_placement(days: int, expected: str | None) -> None:
    found = EXAMPLE.rate_for(days, Decimal("12000.00"))
    assert (found.rate if found else None) == (Decimal(expected) if expected else None)


def test_amount_bands_tile_one_s_maximum_is_the_next_s_minimum() -> None:
    agency = Agency.model_validate({
        "id": "banded", "name": "Banded", "email": "a@example.com", "phone": "1", "currencies": ["CNY"],
        "rates": [{"min_days_past_due": 31, "max_amount": "10000", "rate": "0.2"},
                  {"min_days_past_due": 31, "min_amount": "10000", "max_amount": "1000000", "rate": "0.15"}],
    })  # fmt: skip
    assert [agency.rate_for(40, Decimal(a)) for a in ("9999.99", "10000", "999999.99")] == [
        agency.rates[0], agency.rates[1], agency.rates[1]
    ]  # fmt: skip
    assert agency.rate_for(40, Decimal("1000000")) is None  # above every band: no rate, so not taken
    assert agency.takes("standard", "CNY", 40, Decimal("1000000")) == (
        "agency banded has no commission rate for 1000000 CNY at 40 days past due"
    )


@pytest.mark.parametrize(
    ("segment", "currency", "days", "reason"),
    [
        ("standard", "CNY", 31, None),
        ("trade", "CNY", 200, None),
        ("standard", "USD", 45, "agency example-agency does not take debts in USD (only CNY)"),
        ("vip", "CNY", 45, "agency example-agency does not take segment vip (only standard, commercial, trade)"),
        ("standard", "CNY", 30, "agency example-agency does not take debts younger than 31 days past due"),
    ],
)
def test_what_an_agency_takes_and_why_not(segment: str, currency: str, days: int, reason: str | None) -> None:
    assert EXAMPLE.takes(segment, currency, days, Decimal("12000.00")) == reason


def test_no_segments_means_any_segment() -> None:
    agency = EXAMPLE.model_copy(update={"segments": []})
    assert agency.takes("vip", "CNY", 45, Decimal("1")) is None


def test_a_gap_between_rates_means_not_taken() -> None:
    agency = EXAMPLE.model_copy(update={"rates": [EXAMPLE.rates[0], EXAMPLE.rates[2]]})  # no 91-180 band
    assert agency.takes("standard", "CNY", 120, Decimal("500.00")) == (
        "agency example-agency has no commission rate for 500.00 CNY at 120 days past due"
    )


@pytest.mark.parametrize(
    ("rate_", "collected", "currency", "expected"),
    [
        ("0.1", "12345.65", "CNY", "1234.57"),  # 1234.565: half-up (a banker's rounding would give 1234.56)
        ("0.15", "12000.00", "CNY", "1800.00"),
        ("0.15", "0.03", "CNY", "0.00"),  # 0.0045
        ("0.25", "1002", "JPY", "251"),  # 250.5: no decimals in yen, half-up
        ("0.2", "1001", "JPY", "200"),  # 200.2
        ("0.15", "10.005", "KWD", "1.501"),  # 1.50075: three decimals in dinars
        ("0.2", "0", "CNY", "0.00"),
    ],
)
def test_commission_rounds_half_up_to_the_minor_unit(rate_: str, collected: str, currency: str, expected: str) -> None:
    result = commission(Decimal(rate_), Decimal(collected), currency)
    assert result == Decimal(expected) and str(result) == expected  # the currency's exponent too


@given(
    st.decimals(min_value=Decimal("0.0001"), max_value=MAX_RATE, places=4),
    st.decimals(min_value=0, max_value=10**12, places=2),
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.sampled_from(["CNY", "JPY", "KWD", "USD"]),
)
def test_commission_is_never_negative_nor_above_half_and_grows_with_what_is_collected(
    rate_: Decimal, collected: Decimal, more: Decimal, currency: str
) -> None:
    collected = to_minor(collected, currency)  # what is collected is in the currency's minor unit
    result = commission(rate_, collected, currency)
    assert Decimal(0) <= result <= to_minor(collected * MAX_RATE, currency) <= collected
    assert abs(result - collected * rate_) <= Decimal(1).scaleb(-minor_units(currency)) / 2  # only the rounding
    assert result <= commission(rate_, collected + to_minor(more, currency), currency)


def test_a_placement_records_payments_promises_complaints_and_its_recall() -> None:
    first = placement()
    paid = first.with_payment(Decimal("1000.05"), PLACED + timedelta(days=10))  # 150.0075: 150.01
    paid = paid.with_payment(Decimal("0.03"), PLACED + timedelta(days=12))  # 0.0045: 0.00 (rounded per payment)
    promised = paid.with_promise(PLACED + timedelta(days=11))  # earlier than the last payment: it stays
    done = promised.with_complaint("called at 23:00").recalled(PLACED + timedelta(days=70), "no payment")
    assert (paid.collected, paid.commission) == (Decimal("1000.08"), Decimal("150.01"))
    assert promised.last_result_at == PLACED + timedelta(days=12)
    assert (done.complaints, done.recalled_at, done.recall_reason) == (
        ["called at 23:00"], PLACED + timedelta(days=70), "no payment"
    )  # fmt: skip
    assert first.collected == 0 and first.last_result_at is None  # each step a new record
    assert Placement.model_validate_json(done.model_dump_json()) == done


def test_a_placement_refuses_what_cannot_be() -> None:
    with pytest.raises(ValueError, match="rate"):
        placement(rate=Decimal("0.6"))
    with pytest.raises(ValueError, match="unknown currency"):
        placement(currency="XYZ")
    with pytest.raises(ValueError, match="placed_amount"):
        placement(placed_amount=Decimal(0))
    with pytest.raises(ValueError, match="Extra inputs"):
        placement(agency="x")


def test_recall_after_sixty_days_without_a_payment_or_promise() -> None:
    quiet = placement()
    assert recall_due(quiet, EXAMPLE, PLACED + timedelta(days=59, hours=23)) is None
    assert recall_due(quiet, EXAMPLE, PLACED + timedelta(days=60)) == "no payment or promise reported in 60 days"
    promised = quiet.with_promise(PLACED + timedelta(days=50))  # the 60 days count from the promise: day 110
    assert recall_due(promised, EXAMPLE, PLACED + timedelta(days=109)) is None
    assert recall_due(promised, EXAMPLE, PLACED + timedelta(days=110)) == "no payment or promise reported in 60 days"


def test_recall_after_the_agency_s_maximum_however_active() -> None:
    active = placement()
    for day in (50, 100, 150):
        active = active.with_payment(Decimal("100.00"), PLACED + timedelta(days=day))
    assert recall_due(active, EXAMPLE, PLACED + timedelta(days=179)) is None
    assert recall_due(active, EXAMPLE, PLACED + timedelta(days=180)) == "placed 180 days (the agency's maximum)"


def test_a_recalled_placement_is_not_recalled_again() -> None:
    recalled = placement().recalled(PLACED + timedelta(days=60), "no payment or promise reported in 60 days")
    assert recall_due(recalled, EXAMPLE, PLACED + timedelta(days=400)) is None


def test_a_placement_is_judged_by_its_own_agency() -> None:
    with pytest.raises(ValueError, match="placement p-1 is with agency other, not example-agency"):
        recall_due(placement(agency_id="other"), EXAMPLE, PLACED)


def test_the_first_contact_sla() -> None:
    placed = placement()
    deadline = PLACED + timedelta(days=7)
    assert sla_breached(placed, EXAMPLE, deadline, None) is None  # 7 days are allowed in full
    assert sla_breached(placed, EXAMPLE, deadline + timedelta(seconds=1), None) == (
        "no contact reported within 7 days of placement"
    )
    assert sla_breached(placed, EXAMPLE, deadline + timedelta(days=1), PLACED + timedelta(days=3)) is None
    assert sla_breached(placed.recalled(PLACED, "placed in error"), EXAMPLE, deadline + timedelta(days=1), None) is None


def test_rates_are_described_for_people() -> None:
    banded = CommissionRate(
        min_days_past_due=61, max_days_past_due=90, min_amount=Decimal("5000"), rate=Decimal("0.125")
    )
    assert banded.describe() == "61-90 days from 5000, 12.5%"
