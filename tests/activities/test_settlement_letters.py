"""The settlement offer as the debtor gets it, through the real activities: signed by the creditor, addressed to the
debtor, the amount to pay, the date, what is given up (the PDF's text)."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from domain.commands import ApprovalDecision, OfferSettlement
from domain.kinds import ActionKind
from domain.policy_book import PolicyBook
from domain.rerouting import apply_decision, apply_settlement
from tests.domain.simulate import open_account, simulate

START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


def offer_request(locale: str):  # type: ignore[no-untyped-def]
    state = open_account(PolicyBook().for_segment("commercial"), START, locale=locale, segment="commercial")
    at = START + timedelta(days=70)
    state = simulate(state, START, at).state
    terms = OfferSettlement(command_id="s-1", by="li.na", currency="CNY", waive_interest=True, waive_fees=True,
                            expires_on=date(2026, 6, 10), reason="pays at once")  # fmt: skip
    apply_settlement(state, terms, at)
    approve = ApprovalDecision(command_id="ok", by="wang.fang", step="settlement-s-1", reason="ok")
    apply_decision(state, approve, at, approve=True)
    run = simulate(state, at, at + timedelta(days=2))
    return next(r for r in run.requests if r.action == ActionKind.SETTLEMENT_OFFER)


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", ["SETTLEMENTOFFER", "ExampleTrading(Shanghai)Co.,Ltd.", "上海明达贸易有限公司", "黄浦区南京东路1号",
                "WeoffertoacceptCN¥12,000.00infullandfinalsettlement", "ifitisreceivedbyJune10,2026",
                "thelateinterestiswaivedandthelatefeesarewaived", "6222000000000000"]),
        ("zh-CN", ["和解方案函", "上海示例贸易有限公司", "地址：中国上海市黄浦区南京东路1号",
                   "如贵方于2026年6月10日前（含当日）付清¥12,000.00", "免除逾期利息及免除逾期费用", "本方案自动失效"]),
    ],
)  # fmt: skip
def test_the_offer_letter_says_what_to_pay_by_when_and_what_is_given_up(
    locale: str, words: list[str], activities: CollectionActivities, tmp_path: Path
) -> None:
    request = offer_request(locale)
    assert Decimal(request.details["given_up"]) > 0
    activities.perform(request)
    [letter] = FileChannel(tmp_path / "outbox").records()
    assert letter["kind"] == "letter" and letter["step"] == "settlement-s-1-offer"
    pdf = (tmp_path / "outbox" / letter["pdf"]).read_bytes()
    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert all(word in text for word in words), text
