"""The debtor's postal address (rules 5): validated where it comes in, printed in the letter's language, needed by
every letter, filled by a joining invoice, changed by update_contact; and the creditor an invoice is owed to."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.account import AccountState
from domain.address import PostalAddress
from domain.commands import UpdateContact
from domain.events import InvoiceEvent
from domain.policy_book import PolicyBook
from domain.rerouting import CommandRejected, apply_update_contact, check_update_contact
from tests.domain.simulate import days, open_account, simulate
from tests.factories import ADDRESS, event_dict, overdue

STANDARD = PolicyBook().for_segment("standard")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Shanghai
LETTERS = ["d031-send_demand_letter", "d075-send_final_notice", "d091-issue_lawyer_letter"]


def reasons(**address: object) -> str:
    data = event_dict()
    data["debtor"]["address"] = ADDRESS | address
    with pytest.raises(ValidationError) as error:
        InvoiceEvent.model_validate(data)
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.value.errors())


def test_an_address_is_checked_field_by_field() -> None:
    assert "debtor.address.country: Value error, unknown country 'XX'" in reasons(country="XX")
    assert "debtor.address.country" in reasons(country="EU")  # a grouping, not a country
    assert "debtor.address.lines: List should have at most 4 items" in reasons(lines=["a", "b", "c", "d", "e"])
    assert "debtor.address.lines: List should have at least 1 item" in reasons(lines=[])
    assert "debtor.address.lines.0: Value error, control character 0x001b" in reasons(lines=["No. 1\x1b[2J"])
    assert "debtor.address.postcode: String should match pattern" in reasons(postcode="<script>")
    assert "debtor.address.city: String should have at most 100 characters" in reasons(city="x" * 101)
    assert "debtor.address.floor: Extra inputs are not permitted" in reasons(floor="20")  # a typo is not dropped


def test_it_prints_as_its_country_writes_it() -> None:
    address = PostalAddress.model_validate(ADDRESS)
    assert address.block("zh-CN") == ["中国上海市黄浦区南京东路1号（200001）", "财务部"]
    assert address.block("en") == ["财务部", "黄浦区南京东路1号", "上海市 200001", "China"]
    us = PostalAddress(lines=["100 Market St", "Suite 5"], city="San Francisco", region="CA", postcode="94105",
                       country="US")  # fmt: skip
    assert us.block("en") == ["100 Market St", "Suite 5", "San Francisco CA 94105", "United States"]
    assert str(us) == "100 Market St, Suite 5, San Francisco CA 94105, United States"


def test_without_an_address_the_letters_are_skipped_with_the_reason_and_the_ladder_goes_on() -> None:
    state = open_account(STANDARD, START, address=None)
    run = simulate(state, START, START + days(130))
    skipped = dict(run.skipped)
    assert {key: skipped.get(key) for key in LETTERS} == dict.fromkeys(LETTERS, "no address on file")
    assert ("d105-open_litigation_task", 105) in run.ladder  # not held by the letters it follows
    assert ("d035-create_call_task", 35) in run.ladder


def test_an_account_opened_under_rules_4_sends_its_letters_unaddressed_as_it_recorded() -> None:
    state = AccountState(workflow_id="collection-ACC-1", account_id="ACC-1", policy=STANDARD, rules=4)
    state.add_invoice(overdue(occurred_at=START, address=None), START)
    run = simulate(state, START, START + days(130))
    assert {key for key, _ in run.ladder} >= set(LETTERS)


def test_a_joining_invoice_fills_a_missing_address_and_a_different_one_is_a_conflict() -> None:
    state = open_account(STANDARD, START, address=None)
    assert state.add_invoice(overdue(event_id="evt-2", invoice_id="INV-2", occurred_at=START), START) == "joined"
    assert state.debtor is not None and state.debtor.address == PostalAddress.model_validate(ADDRESS)
    moved = ADDRESS | {"lines": ["静安区南京西路2号"]}
    assert state.add_invoice(overdue(event_id="evt-3", invoice_id="INV-3", occurred_at=START, address=moved),
                             START) == "joined"  # fmt: skip
    [conflict] = state.debtor_conflicts
    assert (conflict.field, conflict.kept, conflict.offered) == (
        "address", "财务部, 黄浦区南京东路1号, 上海市 200001, China", "财务部, 静安区南京西路2号, 上海市 200001, China"
    )  # fmt: skip


def test_update_contact_gives_a_new_address_and_a_letter_goes_to_it() -> None:
    state = open_account(STANDARD, START, address=None)
    command = UpdateContact(command_id="addr-1", by="li.na", address=PostalAddress.model_validate(ADDRESS))
    check_update_contact(state, command, START)
    apply_update_contact(state, command, START)
    assert state.history[-1].detail.startswith("update_contact by li.na: address 财务部, 黄浦区南京东路1号")
    run = simulate(state, START, START + days(40))
    assert ("d031-send_demand_letter", 31) in run.ladder
    with pytest.raises(CommandRejected, match="give a new phone, email or postal address"):
        check_update_contact(state, UpdateContact(command_id="addr-2", by="li.na"), START)


def test_an_invoice_owed_to_another_creditor_is_refused_from_the_account() -> None:
    state = open_account(STANDARD, START, creditor="example-trading")
    assert state.creditor_id() == "example-trading"
    other = overdue(event_id="evt-2", invoice_id="INV-2", occurred_at=START, creditor="example-logistics")
    assert state.add_invoice(other, START) == "rejected"
    assert state.event_refusals["evt-2"] == (
        "invoice INV-2 is owed to example-logistics, and this account collects for example-trading: send it under "
        "another account id"
    )
    same = overdue(event_id="evt-3", invoice_id="INV-3", occurred_at=START, creditor="example-trading")
    assert state.add_invoice(same, START) == "joined"
    unnamed = open_account(STANDARD.model_copy(update={"creditor": "example-trading"}), START)
    assert unnamed.creditor is None and unnamed.creditor_id() == "example-trading"  # the policy's
