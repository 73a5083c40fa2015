from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.planner import Act, Close, Wait, plan
from domain.policy_book import PolicyBook
from tests.domain.simulate import days, open_account, simulate
from tests.factories import overdue, payment

BOOK = PolicyBook()
STANDARD = BOOK.for_segment("standard")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 09:00 in Shanghai, day 1 past due; no day of the ladder falls on a Chinese public holiday (those defer contact)
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
DUE = date(2026, 3, 10)

STANDARD_LADDER = [
    ("d001-send_sms", 1),
    ("d003-send_email", 3),
    ("d010-send_sms", 10),
    ("d020-send_email", 20),
    ("d031-send_demand_letter", 31),
    ("d035-create_call_task", 35),
    ("d045-send_sms", 45),
    ("d061-escalate_to_manager", 61),
    ("d068-create_visit_task", 68),
    ("d075-send_final_notice", 75),
    ("d090-lock_new_orders", 90),
    ("d091-issue_lawyer_letter", 91),
    ("d105-open_litigation_task", 105),
]
# From DUE, day 75 is a Sunday: letters wait for a business day (rules 4), so the final notice goes on day 76.
WORKDAY_LADDER = [(key, 76 if key == "d075-send_final_notice" else day) for key, day in STANDARD_LADDER]


def test_standard_ladder_exact_actions_days_and_local_times() -> None:
    run = simulate(open_account(STANDARD, START), START, START + days(200))
    assert run.ladder == WORKDAY_LADDER
    for key, day, at in run.acted:
        local = at.astimezone(SHANGHAI)
        assert (local.date(), local.time()) == (DUE + timedelta(days=day), time(9, 0)), key
    assert run.outcome is None and run.state.with_legal_since == run.acted[-1][2]  # open with legal
    assert run.skipped == []


def test_segments_pick_policies_with_different_ladders() -> None:
    gentle, accelerated = BOOK.for_segment("important"), BOOK.for_segment("high_risk")
    assert BOOK.for_segment("vip") is gentle
    assert {STANDARD.name, gentle.name, accelerated.name} == {"standard", "gentle", "accelerated"}
    # Important customers: longer friendly stage; high risk: legal at day 60.
    assert gentle.stage_at(45) == "friendly" and STANDARD.stage_at(45) == "formal_demand"
    assert accelerated.stage_at(60) == "legal" and STANDARD.stage_at(60) == "formal_demand"
    for policy, litigation_day in ((gentle, 120), (accelerated, 70)):
        state = open_account(policy, START, segment=policy.segments[0])
        run = simulate(state, START, START + days(200))
        assert run.state.with_legal_since is not None
        assert run.ladder[-1] == (f"d{litigation_day:03d}-open_litigation_task", litigation_day)
        first_letter = next(day for key, day, _ in run.acted if "demand_letter" in key)
        assert 0 <= first_letter - policy.stages[1].from_day <= 2  # on the stage's first day, or the next weekday


def test_unknown_segment_is_a_clear_error() -> None:
    with pytest.raises(
        LookupError, match=r"'gold'.*known: commercial, high_risk, important, sme, standard, trade, us_consumer, vip"
    ):
        BOOK.for_segment("gold")


def test_partial_payment_lowers_balance_and_does_not_reset_the_ladder() -> None:
    def pay_part(state, now):
        state.add_payment(payment("PAY-1", "5000.00", at=now), now)

    run = simulate(open_account(STANDARD, START), START, START + days(200), {START + days(40): pay_part})
    assert run.ladder == WORKDAY_LADDER
    assert run.state.balances(START + days(200)) == {"CNY": Decimal("7000.00")}


def test_full_payment_closes_and_nothing_is_sent_after() -> None:
    def pay_all(state, now):
        state.add_payment(payment("PAY-1", "12000.00", at=now), now)

    run = simulate(open_account(STANDARD, START), START, START + days(200), {START + days(39): pay_all})
    assert run.outcome == "paid"
    assert [key for key, _, _ in run.acted if key.startswith("d")][-1] == "d035-create_call_task"
    assert all(at < START + days(39) for _, _, at in run.acted)
    # Nobody did the day-35 call (due day 37): the supervisor heard of it on day 37, the manager on 38, the general
    # manager on 39, before the payment that morning.
    notices = [(key, day) for key, day, _ in run.acted if not key.startswith("d")]
    assert notices == [(f"work-d035-create_call_task-overdue-{n}", 36 + n) for n in (1, 2, 3)]


def test_payments_are_idempotent_by_id_and_allocate_oldest_first() -> None:
    state = open_account(STANDARD, START)
    state.add_invoice(overdue(event_id="evt-2", invoice_id="INV-2", amount="300.00", occurred_at=START), START)
    older = state.invoices[0]
    assert state.add_payment(payment("PAY-1", "12100.00", at=START), START) is True
    assert state.add_payment(payment("PAY-1", "12100.00", at=START), START) is False
    assert older.outstanding == 0 and state.invoices[1].outstanding == Decimal("200.00")


def test_overpayment_and_foreign_currency_are_kept_as_unapplied() -> None:
    state = open_account(STANDARD, START)
    state.add_payment(payment("PAY-USD", "50.00", currency="USD", at=START), START)
    state.add_payment(payment("PAY-CNY", "12500.00", at=START), START)
    assert [p.unapplied for p in state.payments] == [Decimal("50.00"), Decimal("500.00")]
    for key in ("unapplied-PAY-USD", "unapplied-PAY-CNY"):  # a supervisor's task each, before the account closes
        decision = plan(state, START)
        assert isinstance(decision, Act) and decision.step.key == key
        assert decision.request.assignee_role == "supervisor" and decision.request.template == "unapplied_payment"
        state.record_step(START, key, "done", "task", 0)
    assert plan(state, START) == Close(
        "paid", "every invoice is paid in full; 500.00 CNY, 50.00 USD received but unapplied: a supervisor reviews it "
        "(refund or reallocation)",
    )  # fmt: skip


def test_second_invoice_joins_and_duplicates_change_nothing() -> None:
    state = open_account(STANDARD, START)
    assert state.add_invoice(overdue(event_id="evt-2", invoice_id="INV-2", occurred_at=START), START) == "joined"
    assert state.add_invoice(overdue(event_id="evt-2", invoice_id="INV-2", occurred_at=START), START) == "duplicate"
    assert state.add_invoice(overdue(event_id="evt-3", invoice_id="INV-1", occurred_at=START), START) == "known"
    assert [i.invoice_id for i in state.invoices] == ["INV-1", "INV-2"]
    assert state.events == {"evt-1": "started", "evt-2": "duplicate", "evt-3": "known"}


def test_account_opened_late_skips_stages_already_over_with_a_reason() -> None:
    opened = datetime(2026, 4, 14, 2, 0, tzinfo=UTC)  # day 35 past the due date
    state = open_account(STANDARD, opened, due_date=DUE)
    run = simulate(state, opened, opened + days(1))
    assert [key for key, _ in run.skipped] == ["d001-send_sms", "d003-send_email", "d010-send_sms", "d020-send_email"]
    assert "friendly stage was already over (ladder at day 35, formal_demand)" in run.skipped[0][1]
    # One debtor contact a day (rules 4): the call comes the day after the letter.
    assert run.ladder == [("d031-send_demand_letter", 35), ("d035-create_call_task", 36)]


def test_missing_contact_detail_skips_that_channel_only() -> None:
    state = open_account(STANDARD, START, phone=None)
    run = simulate(state, START, START + days(25))
    assert [key for key, _ in run.skipped] == ["d001-send_sms", "d010-send_sms"]
    assert run.skipped[0][1] == "no phone on file"
    assert [key for key, _, _ in run.acted] == ["d003-send_email", "d020-send_email"]


def test_compressed_time_runs_the_same_ladder_in_seconds() -> None:
    short_day = timedelta(milliseconds=500)
    fast = STANDARD.model_copy(update={"day_seconds": short_day.total_seconds()})
    opened = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    state = open_account(fast, opened)
    run = simulate(state, opened, opened + timedelta(minutes=5))
    assert run.ladder == STANDARD_LADDER  # compressed days have no weekdays: the final notice keeps its day 75
    litigation_at = run.acted[-1][2]
    assert litigation_at == opened + 104 * short_day  # day 105 is 104 short days after day 1


# --- properties ---

step_days = st.integers(min_value=-5, max_value=400)


@settings(max_examples=200, deadline=None)
@given(
    opened_day=st.integers(min_value=1, max_value=300),
    hour=st.integers(min_value=0, max_value=23),
    payments=st.lists(st.tuples(step_days, st.integers(min_value=1, max_value=15000)), max_size=4),
    segment=st.sampled_from(["standard", "important", "high_risk"]),
    timezone=st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London", "Pacific/Kiritimati"]),
)
def test_planner_always_decides_never_repeats_and_stops_after_payment(
    opened_day: int, hour: int, payments: list[tuple[int, int]], segment: str, timezone: str
) -> None:
    policy = BOOK.for_segment(segment)
    opened = datetime.combine(DUE + timedelta(days=opened_day), time(hour), tzinfo=UTC)
    state = open_account(policy, opened, due_date=DUE, timezone=timezone, segment=segment)
    interrupts = {
        opened + days(day): (lambda s, now, n=n, i=i: s.add_payment(payment(f"P{i}", f"{n}.00", at=now), now))
        for i, (day, n) in enumerate(payments)
    }
    run = simulate(state, opened, opened + days(500), interrupts)
    keys = [key for key, _, _ in run.acted] + [key for key, _ in run.skipped]
    assert len(keys) == len(set(keys)), "a step ran or was skipped twice"
    assert [at for _, _, at in run.acted] == sorted(at for _, _, at in run.acted)
    assert all(at >= opened for _, _, at in run.acted)
    if not state.balances(opened + days(500)):
        assert run.outcome == "paid"
    else:
        assert run.outcome is None
        assert isinstance(plan(state, opened + days(10_000)), Act | Close | Wait)
