import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.dates import format_date

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.rendering import Renderer, TemplateError
from domain.actions import ActionRequest
from domain.policy_book import PolicyBook
from tests.domain.simulate import open_account, simulate
from tests.factories import EXAMPLE_CREDITOR, example_renderer, letter_text, pdf_text, squeezed

BOOK = PolicyBook()
START = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)


def requests(
    locale: str, segment: str = "standard", due_in: int | None = None, **debtor: object
) -> list[ActionRequest]:
    """The real request of every step of the segment's ladder, as the planner builds it. `due_in`: the account opens
    that many days before its due date (invoice.issued), so its pre-due steps run too; else a day past due."""
    ahead = (
        {} if due_in is None else {"event_type": "invoice.issued", "due_date": START.date() + timedelta(days=due_in)}
    )
    state = open_account(BOOK.for_segment(segment), START, locale=locale, segment=segment, **ahead, **debtor)
    return simulate(state, START, START + timedelta(days=400)).requests


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("segment", ["standard", "important", "high_risk", "commercial"])
def test_every_action_of_every_ladder_renders_and_is_delivered(
    locale: str, segment: str, tmp_path: Path, activities: CollectionActivities
) -> None:
    """Through the real activities (named like the actions): every template, every channel, the store."""
    ladder = requests(locale, segment, due_in=20)
    assert {r.step for r in ladder} >= {s.key for s in BOOK.for_segment(segment).steps}
    for request in ladder:
        result = activities.perform(request)
        assert result.idempotency_key == request.idempotency_key
    records = FileChannel(tmp_path / "outbox").records()
    assert [r["step"] for r in records] == [r.step for r in ladder]
    for record in records:
        if record["kind"] in ("sms", "email", "task") and segment != "commercial":  # there: plus interest
            assert "12,000.00" in record["text"] or "12000.00" in record["text"], record["step"]
        if record["kind"] == "email":
            assert "\n" not in record["subject"] and "<table" in record["html"]
        if record["kind"] == "letter":  # its Typst source and its PDF
            assert "#set page" in (tmp_path / "outbox" / record["document"]).read_text()
            assert "12,000.00" in pdf_text((tmp_path / "outbox" / record["pdf"]).read_bytes())
    approvals = [r for r in records if r["action"] == "request_approval"]
    litigation = next(r for r in approvals if "open_litigation_task" in r["step"])
    assert litigation["assignee_role"] == "general_manager", "every shipped policy's matrix names the GM for it"
    assert "Who may decide: a general manager or above" in litigation["text"]


def test_amounts_and_dates_follow_the_debtors_locale() -> None:
    renderer = example_renderer()
    zh = requests("zh-CN")[0]
    en = requests("en")[0]
    assert "¥12,000.00" in renderer.render("sms", zh, ".txt.j2")
    assert "2026年10月1日" in renderer.render("sms", zh, ".txt.j2")
    assert "CN¥12,000.00" in renderer.render("sms", en, ".txt.j2")
    assert "October 1, 2026" in renderer.render("sms", en, ".txt.j2")


def test_letters_print_debtor_data_as_text() -> None:
    name = "<script>alert(1)</script> #set page(fill: red) *x*"
    letter = next(r for r in requests("en", name=name) if r.action.value == "send_demand_letter")
    assert squeezed(name) in letter_text(letter)


def test_template_injection_in_debtor_data_is_not_executed() -> None:
    request = requests("en", name="{{ 7*7 }} {% raw %}")[0]
    assert "{{ 7*7 }} {% raw %}" in example_renderer().render("sms", request, ".txt.j2")


def test_missing_template_is_a_non_retryable_template_error() -> None:
    request = requests("en")[0].model_copy(update={"template": "no_such_template"})
    with pytest.raises(TemplateError, match=r"sms/en/no_such_template\.txt\.j2"):
        example_renderer().render("sms", request, ".txt.j2")


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", ["Principal (CNY)", "Late interest to", "Late fees", "CN¥100.00"]),
        ("zh-CN", ["本金", "逾期利息", "逾期费用"]),
    ],
)
def test_letters_and_emails_show_principal_interest_and_fees(locale: str, words: list[str]) -> None:
    renderer = example_renderer()
    ladder = requests(locale, "commercial")
    demand = next(r for r in ladder if r.action.value == "send_demand_letter")
    balance = demand.balances[0]
    assert balance.interest > 0 and balance.fees == 100 and balance.principal == 12000
    letter = letter_text(demand, renderer)
    assert all(squeezed(word) in letter for word in words), letter
    email = next(r for r in ladder if r.action.value == "send_email" and r.days_past_due > 1)
    text = renderer.render_block("email", email, "text")
    assert ("principal CN¥12,000.00, interest" if locale == "en" else "本金¥12,000.00，利息") in text
    # Without interest or fees the letter shows the total alone.
    plain = next(r for r in requests(locale) if r.action.value == "send_demand_letter")
    assert not any(squeezed(word) in letter_text(plain, renderer) for word in words)


def test_template_version_covers_the_partials_it_includes(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parents[2] / "templates", folder)
    before = Renderer(folder).version("letters/en/formal_demand.typ.j2")
    partial = folder / "letters" / "en" / "_totals.typ.j2"
    partial.write_text(partial.read_text() + "\n", encoding="utf-8")
    assert Renderer(folder).version("letters/en/formal_demand.typ.j2") != before


def test_a_step_without_approval_renders_without_an_approver() -> None:
    """A policy may drop an approval gate (the order lock here): its task must still render."""
    lock = next(r for r in requests("en") if r.step == "d090-lock_new_orders")
    unapproved = lock.model_copy(update={"details": {k: v for k, v in lock.details.items() if k != "approved_by"}})
    assert "Approved by: no approval required by the policy" in example_renderer().render(
        "tasks", unapproved, ".txt.j2", True
    )


def test_a_cached_template_version_follows_an_edit_on_disk(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parents[2] / "templates", folder)
    renderer = Renderer(folder)
    before = renderer.version("letters/en/formal_demand.typ.j2")
    assert renderer.version("letters/en/formal_demand.typ.j2") == before  # from the cache
    partial = folder / "letters" / "en" / "_totals.typ.j2"
    partial.write_text(partial.read_text() + "\n", encoding="utf-8")
    os.utime(partial, (partial.stat().st_atime, partial.stat().st_mtime + 5))  # a later mtime, whatever the clock
    assert renderer.version("letters/en/formal_demand.typ.j2") != before


# Before the due date nothing may read as collection of a debt in arrears (seed 001's 《還款提醒函》 tone).
NOT_BEFORE_THE_DUE_DATE = {
    "en": ("overdue", "past due", "late", "legal", "demand", "lawyer", "penalt", "arrears"),
    "zh-CN": ("逾期", "催", "法律", "律师", "违约", "滞纳"),
}


@pytest.mark.parametrize(
    ("locale", "due", "amount", "asks"),
    [
        ("en", "October 22, 2026", "CN¥12,000.00", ("confirm the balance", "which invoice and why")),
        ("zh-CN", "2026年10月22日", "¥12,000.00", ("予以确认", "不符的发票及原因")),
    ],
)
def test_pre_due_messages_give_the_amount_the_due_date_and_how_to_pay_and_nothing_overdue(
    locale: str, due: str, amount: str, asks: tuple[str, str]
) -> None:
    """The balance confirmation letter (day -15), the reminder email (day -7) and SMS (day -3) of high-risk accounts."""
    renderer = example_renderer()
    ladder = {r.step: r for r in requests(locale, "high_risk", due_in=20)}
    request = ladder["d-15-send_confirmation_letter"]
    letter = letter_text(request, renderer)
    email = "\n".join(renderer.render_block("email", ladder["d-07-send_email"], b) for b in ("subject", "text", "html"))
    sms = renderer.render("sms", ladder["d-03-send_sms"], ".txt.j2")
    for text in (letter, squeezed(email), squeezed(sms)):
        account = EXAMPLE_CREDITOR.resolve(None).accounts_for(["CNY"])[0].number
        assert squeezed(amount) in text and squeezed(due) in text and squeezed(account) in text
        found = [word for word in NOT_BEFORE_THE_DUE_DATE[locale] if word in text.lower()]
        assert not found, (found, text)
    assert request.deadline is not None  # the letter's answer-by date
    by = format_date(request.deadline, format="long", locale=locale.replace("-", "_"))
    assert squeezed(by) in letter and all(squeezed(ask) in letter for ask in asks)
    assert "INV-1" in letter and "C-2026-001" in letter
    assert "INV-1" in email and "\n" not in renderer.render_block("email", ladder["d-07-send_email"], "subject")
