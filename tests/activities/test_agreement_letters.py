"""A repayment agreement as the debtor gets it (rules 8), through the real activities: the creditor and the debtor
with their addresses, the debt acknowledged, the installments, default, signature blocks (the PDF's text); then its
reminder email and the collector's task to chase it."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from domain.actions import ActionRequest
from domain.commands import AgreeInstallmentPlan, InstallmentTerm
from domain.policy_book import PolicyBook
from domain.rerouting import apply_installment_plan
from tests.domain.simulate import open_account, simulate

START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


def agreement_requests(locale: str) -> dict[str, ActionRequest]:
    state = open_account(PolicyBook().for_segment("standard"), START, locale=locale)
    at = START + timedelta(days=40)
    state = simulate(state, START, at).state
    terms = [InstallmentTerm(amount=Decimal("4000.00"), due_date=date(2026, 5, 15) + timedelta(days=30 * n))
             for n in range(3)]  # fmt: skip
    apply_installment_plan(state, AgreeInstallmentPlan(command_id="p-1", by="li.na", currency="CNY",
                                                       installments=terms), at)  # fmt: skip
    run = simulate(state, at, at + timedelta(days=15))
    return {r.step: r for r in run.requests if r.step.startswith("agreement-")}


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", ["REPAYMENTAGREEMENT", "BetweenExampleTrading(Shanghai)Co.,Ltd.(registrationNo.91310115MA1EXAMPLE",
                "“thecreditor”,and上海明达贸易有限公司(财务部,黄浦区南京东路1号", "Thedebtoracknowledgesthatitowes",
                "Thedebtorpaysin3installments", "1May15,2026CN¥4,000.00", "3July14,2026CN¥4,000.00",
                "within3daysofitsduedate", "interruptsthelimitationperiod", "signatureandcompanyseal"]),
        ("zh-CN", ["还款协议", "甲方（债权人）：上海示例贸易有限公司",
                   "乙方（债务人）：上海明达贸易有限公司，地址：中国上海市黄浦区南京东路1号", "乙方分3期还款",
                   "第1期2026年5月15日¥4,000.00", "逾期超过3日", "诉讼时效自签署之日起重新计算", "（签字盖章）"]),
    ],
)  # fmt: skip
def test_the_agreement_letter_puts_the_plan_in_writing_for_both_signatures(
    locale: str, words: list[str], activities: CollectionActivities, tmp_path: Path
) -> None:
    requests = agreement_requests(locale)
    for step in ("agreement-p-1", "agreement-p-1-reminder", "agreement-p-1-chase"):
        activities.perform(requests[step])
    records = {r["step"]: r for r in FileChannel(tmp_path / "outbox").records()}
    letter = records["agreement-p-1"]
    pdf = (tmp_path / "outbox" / letter["pdf"]).read_bytes()
    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert all(word in text for word in words), text
    assert records["agreement-p-1-reminder"]["kind"] == "email" and "agreement-p-1" in records[
        "agreement-p-1-reminder"]["subject"]  # fmt: skip
    chase = records["agreement-p-1-chase"]
    assert chase["assignee_role"] == "collector"
    assert "collections record-signature ACC-1 agreement-p-1 --signed-on YYYY-MM-DD --evidence REF" in chase["text"]


def test_seed_001_terms_are_written_out_installment_by_installment(
    activities: CollectionActivities, tmp_path: Path
) -> None:
    state = open_account(PolicyBook().for_segment("standard"), START, locale="zh-CN")
    at = START + timedelta(days=40)
    state = simulate(state, START, at).state
    terms = [InstallmentTerm(amount=Decimal("3000.00"), due_date=date(2026, 5, 1) + timedelta(days=30 * n))
             for n in range(4)]  # fmt: skip
    command = AgreeInstallmentPlan(command_id="p-1", by="li.na", currency="CNY", installments=terms, down_payment=True,
                                   fee=Decimal("50.00"), interest_free=3, daily_rate=Decimal("0.0002"))  # fmt: skip
    apply_installment_plan(state, command, at)
    [letter] = [r for r in simulate(state, at, at + timedelta(days=1)).requests if r.step == "agreement-p-1"]
    activities.perform(letter)
    [record] = FileChannel(tmp_path / "outbox").records()
    pdf = (tmp_path / "outbox" / record["pdf"]).read_bytes()
    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "第1期（首付款）2026年5月1日¥3,000.00¥50.00¥0.00¥3,050.00" in text, text
    assert "第4期2026年7月30日¥3,000.00¥0.00¥18.00¥3,018.00" in text  # 3,000 owed × 0.02% × 30 days
    assert "手续费随首期支付" in text
