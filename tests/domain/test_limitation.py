"""The statute of limitations: its date, what restarts it, the handoff margin, and time-barred debts."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.commands import LetterDelivery, OverrideLimitation
from domain.planner import limitation_of
from domain.policy_book import PolicyBook
from domain.rerouting import apply_letter_delivery, apply_override
from tests.domain.simulate import days, open_account, simulate
from tests.factories import payment

STANDARD = PolicyBook().for_segment("standard")
DUE = date(2026, 3, 10)
START = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a working day


def test_three_years_from_the_due_date_restarted_by_a_demand_letters_delivery_and_a_partial_payment() -> None:
    state = open_account(STANDARD, START, due_date=DUE)
    assert limitation_of(state) == (date(2029, 3, 10), "due date 2026-03-10")
    simulate(state, START, START + days(33))  # the formal demand letter went on day 31, 10 April
    assert limitation_of(state) == (date(2029, 3, 10), "due date 2026-03-10")  # sent: not yet a restart (rules 6)
    delivered = LetterDelivery(command_id="ld-1", by="courier", event="delivered", tracking_number="EMS1",
                               step="d031-send_demand_letter", at=START + days(32))  # fmt: skip
    apply_letter_delivery(state, delivered, START + days(33))
    assert limitation_of(state) == (date(2029, 4, 12), "d031-send_demand_letter delivered (EMS1)")
    state.add_payment(payment("PAY-1", "100.00", at=START + days(40)), START + days(40))
    assert limitation_of(state) == (date(2029, 4, 20), "partial payment PAY-1")


def test_the_ladder_hands_over_to_legal_within_the_margin_whatever_the_stage() -> None:
    rules = STANDARD.limitation.model_copy(update={"years": 1, "margin_days": 340})
    state = open_account(STANDARD.model_copy(update={"limitation": rules}), START, due_date=DUE)
    run = simulate(state, START, START + days(60))
    # The period ends a year after the due date: 340 days before is day 25, still in the friendly stage.
    handoff = next(h for h in state.history if "handing over to legal now" in h.detail)
    assert handoff.at.astimezone(ZoneInfo("Asia/Shanghai")).date() == date(2027, 3, 10) - timedelta(days=340)
    # The written demand is never skipped (rules 4): it goes first, the final notice after its 14 days, then legal.
    # Day 25 is Saturday 4 April 2026, then Qingming: the letter goes on Tuesday, day 28.
    assert run.ladder[-4:] == [("d031-send_demand_letter", 28), ("d075-send_final_notice", 42),
                               ("d091-issue_lawyer_letter", 43), ("d105-open_litigation_task", 50)]  # fmt: skip
    assert state.with_legal_since is not None


def test_a_time_barred_debt_never_enters_legal_unless_a_supervisor_overrides() -> None:
    long_ago = date(2022, 1, 10)
    opened = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    state = open_account(STANDARD, opened, due_date=long_ago)
    run = simulate(state, opened, opened + days(25))
    # The written demand and the final notice still go (rules 4: required), and revive nothing: a creditor's demand
    # after the period ended does not restart it.
    assert [key for key, _ in run.ladder] == ["d031-send_demand_letter", "d075-send_final_notice"]
    barred = [reason for key, reason in run.skipped if key in ("d091-issue_lawyer_letter", "d105-open_litigation_task")]
    assert len(barred) == 2 and all(r.startswith("time-barred: the limitation period ended 2025-01-10") for r in barred)
    assert state.with_legal_since is None

    again = open_account(STANDARD, opened, due_date=long_ago)
    apply_override(
        again, OverrideLimitation(command_id="ov-1", by="supervisor", reason="acknowledged in writing"), opened
    )
    simulate(again, opened, opened + days(25))
    assert again.with_legal_since is not None  # after the demand letter's 14 days, the final notice, the lawyer's 7
    assert timedelta(days=21) <= again.with_legal_since - opened < timedelta(days=22)
