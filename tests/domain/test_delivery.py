"""Letters followed to their delivery (rules 6): posted, delivered or returned, by tracking number, whatever the
order and the repeats; the limitation period restarts on delivery (proven or presumed), never on sending."""

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account import AccountState
from domain.commands import ContactOutcome, LetterDelivery, UpdateContact
from domain.planner import limitation_of
from domain.policy_book import PolicyBook
from domain.rerouting import apply_contact_outcome, apply_letter_delivery, apply_update_contact, settle
from domain.side_actions import side_actions
from domain.status import account_status, describe
from tests.domain.simulate import days, open_account, simulate
from tests.factories import ADDRESS, overdue

STANDARD = PolicyBook().for_segment("standard")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Shanghai; due the day before
DUE = date(2026, 3, 10)
DEMAND = "d031-send_demand_letter"
SENT = START + days(40)  # the demand letter went on day 31
counter = iter(range(1_000_000))


def with_demand_sent(policy=STANDARD, rules: int | None = None) -> AccountState:
    state = open_account(policy, START)
    if rules is not None:
        state = AccountState(workflow_id="collection-ACC-1", account_id="ACC-1", policy=policy, rules=rules)
        state.add_invoice(overdue(occurred_at=START), START)
    simulate(state, START, SENT)
    assert state.letters[DEMAND].status == "queued"
    return state


def report(state: AccountState, event: str, tracking: str, at: datetime, **fields: object) -> None:
    command = LetterDelivery.model_validate({"command_id": f"ld-{next(counter)}", "by": "mailroom", "event": event,
                                             "tracking_number": tracking, "at": at} | fields)  # fmt: skip
    apply_letter_delivery(state, command, at)


def limitation(state: AccountState) -> tuple[date, str]:
    ends = limitation_of(state)
    assert ends is not None
    return ends


def test_a_letter_sent_or_posted_restarts_nothing_its_delivery_does() -> None:
    state = with_demand_sent()
    assert limitation(state) == (date(2029, 3, 10), f"due date {DUE}")  # sent on day 31: not a restart
    report(state, "posted", "EMS1234567890CN", START + days(31), step=DEMAND)
    assert limitation(state) == (date(2029, 3, 10), f"due date {DUE}")
    report(state, "delivered", "EMS1234567890CN", START + days(33), proof_ref="SIGNED-SCAN-77")
    letter = state.letters[DEMAND]
    assert (letter.status, letter.at, letter.proof_ref) == ("delivered", START + days(33), "SIGNED-SCAN-77")
    assert limitation(state) == (date(2029, 4, 13), f"{DEMAND} delivered (EMS1234567890CN)")
    lines = describe(account_status(state, SENT)).splitlines()
    sent = "sent 2026-04-10 09:00 Asia/Shanghai (2026-04-10 01:00 UTC)"  # day 31
    assert f"    {DEMAND:<30} {sent}  delivered 2026-04-13 (proof SIGNED-SCAN-77), EMS1234567890CN" in lines


def test_reports_are_idempotent_by_tracking_number_and_a_verdict_stands() -> None:
    state = with_demand_sent()
    report(state, "delivered", "SF100", START + days(33), step=DEMAND)  # the courier's report first: names the step
    report(state, "posted", "SF100", START + days(31))  # the mailroom's, late
    report(state, "delivered", "SF100", START + days(34))  # the courier again
    report(state, "returned", "SF100", START + days(35), reason="moved")  # and contradicting itself
    letter = state.letters[DEMAND]
    assert (letter.status, letter.at, letter.tracking) == ("delivered", START + days(33), "SF100")
    said = [h.detail for h in state.history if "letter_delivery" in h.detail]
    assert said[1].startswith(f"letter_delivery by mailroom: {DEMAND} posted (SF100) reported after it was delivered")
    assert [a.step.key for a in side_actions(state) if a.step.action == "create_skip_trace_task"] == []


def test_a_returned_letter_raises_a_skip_trace_and_restarts_nothing() -> None:
    state = with_demand_sent()
    report(state, "posted", "EMS9", START + days(31), step=DEMAND)
    report(state, "returned", "EMS9", START + days(36), reason="addressee unknown")
    assert (state.letters[DEMAND].status, state.letters[DEMAND].reason) == ("returned", "addressee unknown")
    [trace] = [a for a in side_actions(state) if a.step.action == "create_skip_trace_task"]
    assert (trace.step.key, trace.details["failures"]) == (
        f"skip-trace-{DEMAND}", f"letter {DEMAND} returned (EMS9): addressee unknown"
    )  # fmt: skip
    assert limitation(state) == (date(2029, 3, 10), f"due date {DUE}")


def test_reports_that_fit_no_letter_are_refused_in_the_history() -> None:
    state = with_demand_sent()
    report(state, "delivered", "EMS404", START + days(33))
    assert state.history[-1].detail.endswith("refused: no letter posted under tracking number EMS404: name its step "
                                             f"[ld-{next(counter) - 1}]")  # fmt: skip
    report(state, "posted", "EMS1", START + days(31), step="d075-send_final_notice")
    assert "refused: no letter d075-send_final_notice was sent on this account" in state.history[-1].detail
    report(state, "posted", "EMS1", START + days(31), step=DEMAND)
    report(state, "posted", "EMS2", START + days(31), step=DEMAND)
    assert f"refused: {DEMAND} was posted under tracking number EMS1" in state.history[-1].detail


def test_where_the_policy_presumes_delivery_a_posted_letter_counts_from_that_day() -> None:
    limits = STANDARD.limitation.model_copy(update={"presumed_delivery_days": 7})
    state = with_demand_sent(STANDARD.model_copy(update={"limitation": limits}))
    report(state, "posted", "EMS5", START + days(31), step=DEMAND)
    settle(state, START + days(37))
    assert state.letters[DEMAND].status == "in_transit"
    settle(state, START + days(38))
    assert (state.letters[DEMAND].status, state.letters[DEMAND].at) == ("presumed", START + days(38))
    assert limitation(state) == (date(2029, 4, 18), f"{DEMAND} presumed (EMS5)")
    report(state, "returned", "EMS5", START + days(40), reason="refused by the addressee")  # the truth, late
    assert limitation(state) == (date(2029, 3, 10), f"due date {DUE}")


def test_an_account_of_rules_5_restarts_on_sending_as_it_recorded() -> None:
    state = with_demand_sent(rules=5)
    assert limitation(state) == (date(2029, 4, 10), f"{DEMAND} delivered")  # sent on day 31


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["posted", "delivered", "returned"]),
            st.sampled_from(["TR-1", "TR-2"]),
            st.integers(min_value=31, max_value=60),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_the_limitation_date_moves_only_on_delivery(reports: list[tuple[str, str, int, bool]]) -> None:
    """Whatever the courier and the mailroom report, in any order and any number of times: the period restarts from
    the first verdict's day if it is a delivery, and from nothing else (the sending, a posting, a return)."""
    state = with_demand_sent()
    verdict: tuple[str, int] | None = None
    tracking: str | None = None
    for event, number, day, named in reports:
        report(state, event, number, START + days(day), **({"step": DEMAND} if named else {}))
        fits = number == tracking or (tracking is None and named)
        if fits:
            tracking = number
            if verdict is None and event != "posted":
                verdict = (event, day)
    expected = date(2029, 3, 10)
    if verdict and verdict[0] == "delivered":
        delivered = (START + days(verdict[1])).date()
        expected = max(expected, delivered.replace(year=delivered.year + 3))
    assert limitation(state)[0] == expected
    assert state.letters[DEMAND].status == (verdict[0] if verdict else "in_transit" if tracking else "queued")


def lose_contact(state: AccountState, at: datetime) -> None:
    """Three failed calls and three bounced emails: phone and email unreachable."""
    for n in range(3):
        for channel in ("phone", "email"):
            apply_contact_outcome(state, ContactOutcome(command_id=f"co-{channel}-{n}", by="system", channel=channel,
                                                        result="wrong_number", at=at), at)  # fmt: skip


def test_a_returned_letter_with_phone_and_email_lost_stops_letters_until_new_details() -> None:
    """Rules 9: the postal channel's failures count towards lost contact: a letter that came back, with phone and email
    unreachable, means no more letters to that address; a new address lets them go again."""
    state = with_demand_sent()
    report(state, "posted", "EMS9", START + days(31), step=DEMAND)
    report(state, "returned", "EMS9", START + days(36), reason="moved")
    assert state.failures["post"] == 1 and state.lost_contact is None
    lose_contact(state, START + days(40))
    assert state.lost_contact is not None
    run = simulate(state, START + days(40), START + days(80))
    assert (
        "d075-send_final_notice",
        "lost contact: phone and email unreachable, and letters come back (returned)",
    ) in (run.skipped)
    address = ADDRESS | {"lines": ["静安区新闸路8号"]}
    apply_update_contact(run.state, UpdateContact(command_id="uc", by="li.na", address=address), START + days(80))
    assert run.state.failures["post"] == 0


def test_before_rules_9_a_returned_letter_does_not_stop_letters() -> None:
    state = with_demand_sent(rules=8)
    report(state, "posted", "EMS9", START + days(31), step=DEMAND)
    report(state, "returned", "EMS9", START + days(36), reason="moved")
    lose_contact(state, START + days(40))
    run = simulate(state, START + days(40), START + days(80))
    assert "post" not in run.state.failures
    assert "d075-send_final_notice" in dict(run.ladder)
