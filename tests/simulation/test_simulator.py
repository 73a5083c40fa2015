"""The policy simulator: the real planner's courses, seeded runs, the response model."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.kinds import ActionKind
from domain.policy import Policy
from domain.policy_book import PolicyBook
from simulation.book import SimAccount, SyntheticBook, band, read_book
from simulation.responses import ResponseModel, load_model
from simulation.simulator import BOOK, Arm, arm, simulate
from simulation.tree import Profile, Tree, opened, start_of
from tests.domain.simulate import simulate as run_account

BOOKS = PolicyBook()
MODEL = load_model()
FIRST_DAY = date(2027, 1, 4)
START = start_of(FIRST_DAY)


def profile(segment: str = "standard", amount: str = "7071.07", **changes: object) -> Profile:
    policy = BOOKS.for_segment(segment)
    fields: dict = dict(policy=policy.name, segment=segment, amount=Decimal(amount), currency="CNY", days_past_due=0,
                        timezone="Asia/Shanghai", locale="zh-CN", country="CN", phone=True, email=True,
                        address=True)  # fmt: skip
    return Profile(**{**fields, **changes})


def tree(segment: str = "standard", **changes: object) -> Tree:
    return Tree(profile(segment, **changes), BOOKS.for_segment(segment), START, START + timedelta(days=120),
                MODEL.timing)  # fmt: skip


def test_a_silent_debtors_course_is_the_planners_ladder() -> None:
    """The ladder of a debtor who never answers is what the planner does for that account, step by step (the planner's
    own tests drive it the same way; there nobody works the tasks, so their overdue notices come on top)."""
    course = tree().root.course
    account = opened(profile(), BOOKS.for_segment("standard"), START)
    expected = run_account(account, START, START + timedelta(days=120))
    ladder = [(d.step, d.at) for d in course.acts if d.step.startswith("d")]
    assert ladder == [(key, at) for key, _, at in expected.acted if key.startswith("d")]
    assert not [d for d in course.acts if "overdue" in d.step]  # the simulated staff did their tasks
    assert course.outcome == "legal"  # handed over on the litigation step
    assert [d.kind for d in course.acts][:3] == [ActionKind.SMS, ActionKind.EMAIL, ActionKind.SMS]


def test_answers_change_the_course_through_the_real_rules() -> None:
    shared = tree()
    day = START + timedelta(days=11, hours=12)
    shared.explore(shared.root, [("promise_kept", day), ("promise_broken", day), ("dispute_upheld", day),
                                 ("partial", day)])  # fmt: skip
    kept = shared.root.children[("promise_kept", day)].course
    assert kept.outcome == "paid" and kept.paid == [(day + timedelta(days=10), Decimal("7071.07"))]
    assert kept.acts == []  # the ladder holds while the promise runs
    broken = shared.root.children[("promise_broken", day)].course
    assert broken.paid == [] and broken.outcome == "legal"
    assert shared.root.children[("dispute_upheld", day)].course.outcome == "cancelled"
    partial = shared.root.children[("partial", day)].course
    assert partial.paid == [(day, Decimal("3535.54"))] and partial.outcome == "legal"


def accounts(count: int, amount: str = "5000.00", segment: str = "standard") -> list[SimAccount]:
    return [SimAccount(account_id=f"A{n}", segment=segment, amount=Decimal(amount)) for n in range(count)]


def test_the_same_seed_gives_the_same_curves_and_another_seed_others() -> None:
    book = SyntheticBook(accounts=400).draw(seed=7)
    one, again, other = (simulate(book, [Arm(BOOK, None)], MODEL, BOOKS, runs=3, seed=seed, days=90,
                                  first_day=FIRST_DAY)[0] for seed in (1, 1, 2))  # fmt: skip
    assert np.array_equal(one.curves, again.curves)
    assert one.summary() == again.summary()
    assert not np.array_equal(one.curves, other.curves)
    assert one.curves.shape == (3, 91)
    assert np.all(np.diff(one.curves, axis=1) >= 0)  # collected money only grows
    assert 0 < one.curves[:, -1].mean() < 1.2


def test_two_processes_give_what_one_gives() -> None:
    book = SyntheticBook(accounts=300).draw(seed=3)
    one, two = (simulate(book, [Arm(BOOK, None)], MODEL, BOOKS, runs=2, seed=5, days=60, first_day=FIRST_DAY,
                         processes=n)[0] for n in (1, 2))  # fmt: skip
    assert np.allclose(one.curves, two.curves)
    assert one.courses == two.courses


STAGES = [{"name": "strict", "from_day": 1}, {"name": "legal", "from_day": 3000}]
SILENT_POLICY = Policy.model_validate({"name": "silent", "segments": ["standard"], "steps": [], "stages": STAGES})


@settings(max_examples=15, deadline=None)
@given(chance=st.floats(0.0, 0.05), days=st.integers(10, 150), seed=st.integers(0, 10_000),
       count=st.integers(50, 400))  # fmt: skip
def test_a_policy_that_contacts_nobody_recovers_no_more_than_spontaneous_payment(
    chance: float, days: int, seed: int, count: int
) -> None:
    model = MODEL.model_copy(update={"spontaneous": {"*": chance}})
    outcome = simulate(accounts(count), [Arm("silent", SILENT_POLICY)], model, BOOKS, runs=1, seed=seed, days=days,
                       first_day=FIRST_DAY)[0]  # fmt: skip
    expected = 1 - (1 - chance) ** days  # the share of debtors paying unasked within the horizon
    spread = (expected * (1 - expected) / count) ** 0.5
    assert outcome.curves[0, -1] <= expected + 5 * spread + 1e-9
    assert sum(outcome.tallies[0].actions.values()) == 0 and outcome.tallies[0].cost == 0


def test_a_policy_that_contacts_collects_more_than_one_that_does_not() -> None:
    book = accounts(300)
    silent, ladder = simulate(book, [Arm("silent", SILENT_POLICY), arm("standard", BOOKS)], MODEL, BOOKS, runs=2,
                              seed=1, days=120, first_day=FIRST_DAY)  # fmt: skip
    assert ladder.curves[:, -1].min() > silent.curves[:, -1].max()
    assert ladder.summary()["cost"]["mean"] > 0


def test_the_model_takes_the_most_specific_row() -> None:
    assert MODEL.answers_for(ActionKind.SMS, "standard", "strict").pay == 0.01  # action and stage
    assert MODEL.answers_for(ActionKind.SMS, "standard", "friendly").pay == 0.025  # action
    assert MODEL.answers_for(ActionKind.DEMAND_LETTER, "commercial", "formal_demand").dispute == 0.02
    assert MODEL.answers_for(ActionKind.CONFIRMATION_LETTER, "standard", "pre_due").pay == 0.02  # the default row


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"answers": [{"pay": 0.7, "promise_kept": 0.4}]}, "more than 1"),
        ({"answers": [{"action": "send_sms", "pay": 0.1}]}, "a row for every action"),
        ({"answers": [{"action": "escalate_to_manager"}, {}]}, "not an action that reaches the debtor"),
        ({"timing": {"delays": [1, 2], "delay_shares": [0.5, 0.6]}}, "add up to 1"),
        ({"spontaneous": {"standard": 0.1}}, '"*" entry'),
    ],
)
def test_a_bad_model_is_refused_with_the_reason(change: dict, error: str) -> None:
    data = {"name": "bad", "answers": [{}], **change}
    with pytest.raises(ValueError, match=error):
        ResponseModel.model_validate(data)


def test_bands_follow_the_one_two_five_series_where_policy_thresholds_fall() -> None:
    assert band(Decimal("4999.99")) < Decimal(5000) <= band(Decimal("5000"))
    assert band(Decimal("49999")) < Decimal(50000) <= band(Decimal("50000"))
    assert band(Decimal("120")) == band(Decimal("199.99"))


def test_todays_book_is_read_from_its_export(tmp_path: Path) -> None:
    export = tmp_path / "book.csv"
    export.write_text("account_id,segment,policy,outstanding,currency,days_past_due,phone\n"
                      "A1,standard,standard,1200.50,CNY,40,true\nA2,commercial,,0,CNY,10,\n"
                      "A3,commercial,,900,CNY,5,false\n", encoding="utf-8")  # fmt: skip
    book = read_book(export)
    read = [(a.account_id, a.amount, a.days_past_due, a.phone) for a in book]
    assert read == [("A1", Decimal("1200.50"), 40, True), ("A3", Decimal("900"), 5, False)]  # A2 owes nothing
    outcome = simulate(book, [Arm(BOOK, None)], MODEL, BOOKS, runs=2, seed=1, days=30, first_day=FIRST_DAY)[0]
    assert outcome.accounts == 2
    export.write_text("account_id,segment,outstanding,currency\nA1,standard,lots,CNY\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"book.csv:2: outstanding 'lots' is not an amount"):
        read_book(export)
