"""The lawyer's letter through the real activities (rules 7): a draft for the creditor's law firm, kept as a document
and handed to legal as a task; the letter the debtor gets under the firm's name, the lawyer named; no firm, no
letter (the draft is refused, saying why)."""

import io
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from temporalio.exceptions import ApplicationError

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.rendering import Renderer
from domain.actions import ActionRequest
from domain.creditor import CreditorBook
from domain.policy_book import PolicyBook
from settings import EXAMPLE_CREDITORS
from store.repository import Store
from tests.domain.simulate import open_account, simulate

START = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
LETTER, DRAFT = "d091-issue_lawyer_letter", "firm-draft-d091-issue_lawyer_letter"


def ladder(locale: str) -> dict[str, ActionRequest]:
    """The standard ladder's requests by step, the firm issuing the letter the day it gets the draft."""
    state = open_account(PolicyBook().for_segment("standard"), START, locale=locale)
    return {r.step: r for r in simulate(state, START, START + timedelta(days=200)).requests}


def pdf_text(pdf: bytes) -> str:
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.mark.parametrize(
    ("locale", "draft_words", "letter_words"),
    [
        ("en", ["DRAFTforExampleLawOffices(Shanghai)", "[dateofissue]", "within7daysofthedateofthisletter"],
         ["ExampleLawOffices(Shanghai)", "王律师,lawyer(licenceNo.1310120001)", "ExampleTrading(Shanghai)Co.,Ltd."]),
        ("zh-CN", ["草稿（供上海示例律师事务所审阅）", "［出具日期］", "本函出具之日起7日内"],
         ["上海示例律师事务所", "律师：王律师（执业证号：1310120001）", "上海示例贸易有限公司"]),
    ],
)  # fmt: skip
def test_the_firm_gets_a_draft_and_the_debtor_the_letter_it_issued(
    locale: str, draft_words: list[str], letter_words: list[str], activities: CollectionActivities, store: Store,
    tmp_path: Path,
) -> None:  # fmt: skip
    requests = ladder(locale)
    activities.perform(requests[DRAFT])
    [task] = [r for r in FileChannel(tmp_path / "outbox").records() if r["step"] == DRAFT]
    assert task["kind"] == "task" and task["assignee_role"] == "legal"
    assert "Firm: Example Law Offices (Shanghai), tel. +86 21 5555 0200, litigation@example-law.com" in task["text"]
    assert "王律师 (13101200010000001), 李律师 (13101200010000002)" in task["text"]
    assert f"confirm-lawyer-letter ACC-1 {LETTER} --issued" in task["text"]
    draft = store.document(int(re.search(r"\(document (\d+)\)", task["text"]).group(1)))  # type: ignore[union-attr]
    assert draft.kind == "draft" and draft.filename == f"{DRAFT}.pdf" and task["pdf"]  # in the outbox, with the task
    text = pdf_text(draft.content)
    assert all(word in text for word in draft_words), text

    activities.perform(requests[LETTER])
    [letter] = [r for r in FileChannel(tmp_path / "outbox").records() if r["step"] == LETTER]
    text = pdf_text((tmp_path / "outbox" / letter["pdf"]).read_bytes())
    assert all(word in text for word in letter_words), text
    assert "DRAFT" not in text and "草稿" not in text and "Counsel" not in text and "委托代理律师" not in text


def test_without_a_law_firm_the_draft_is_refused_and_nothing_is_sent(
    activities: CollectionActivities, tmp_path: Path
) -> None:
    folder = tmp_path / "creditors"
    shutil.copytree(EXAMPLE_CREDITORS, folder, ignore=shutil.ignore_patterns("law-firms"))
    profile = folder / "example-trading.toml"
    profile.write_text("".join(line for line in profile.read_text().splitlines(True) if "law_firm" not in line))
    activities.renderer = Renderer(creditors=CreditorBook(folder))
    with pytest.raises(ApplicationError) as refused:
        activities.perform(ladder("en")[DRAFT])
    assert refused.value.type == "NoLawFirm" and refused.value.non_retryable
    assert "creditor example-trading names no law firm" in str(refused.value)
    assert "never in the creditor's name" in str(refused.value)
    assert FileChannel(tmp_path / "outbox").records() == []


def test_a_profile_naming_an_unknown_firm_is_refused_at_start(tmp_path: Path) -> None:
    folder = tmp_path / "creditors"
    shutil.copytree(EXAMPLE_CREDITORS, folder, ignore=shutil.ignore_patterns("law-firms"))
    with pytest.raises(ValueError, match="names law firm 'example-law', which has no file"):
        CreditorBook(folder)
