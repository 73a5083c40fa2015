from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.rendering import Renderer, TemplateError
from domain.actions import ActionRequest
from domain.policy import PolicyBook
from tests.domain.simulate import open_account, simulate

BOOK = PolicyBook()
START = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)


def requests(locale: str, segment: str = "standard", **debtor: object) -> list[ActionRequest]:
    """The real request of every step of the segment's ladder, as the planner builds it."""
    state = open_account(BOOK.for_segment(segment), START, locale=locale, segment=segment, **debtor)
    return simulate(state, START, START + timedelta(days=400)).requests


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("segment", ["standard", "important", "high_risk"])
def test_every_action_of_every_ladder_renders_and_is_delivered(
    locale: str, segment: str, tmp_path: Path, activities: CollectionActivities
) -> None:
    """Through the real activities (named like the actions): every template, every channel, the store."""
    ladder = requests(locale, segment)
    assert {r.step for r in ladder} >= {s.key for s in BOOK.for_segment(segment).steps}
    for request in ladder:
        result = getattr(activities, request.action.value)(request)
        assert result.idempotency_key == request.idempotency_key
    records = FileChannel(tmp_path / "outbox").records()
    assert [r["step"] for r in records] == [r.step for r in ladder]
    for record in records:
        if record["kind"] in ("sms", "email", "task"):
            assert "12,000.00" in record["text"] or "12000.00" in record["text"], record["step"]
        if record["kind"] == "email":
            assert "\n" not in record["subject"] and "<table" in record["html"]
        if record["kind"] == "letter":
            assert "12,000.00" in (tmp_path / "outbox" / record["document"]).read_text()
            assert (tmp_path / "outbox" / record["pdf"]).read_bytes().startswith(b"%PDF")
    approvals = [r for r in records if r["action"] == "request_approval"]
    assert approvals and all(r["assignee_role"] == "supervisor" for r in approvals)


def test_amounts_and_dates_follow_the_debtors_locale() -> None:
    renderer = Renderer()
    zh = requests("zh-CN")[0]
    en = requests("en")[0]
    assert "¥12,000.00" in renderer.render("sms", zh, ".txt.j2")
    assert "2026年10月1日" in renderer.render("sms", zh, ".txt.j2")
    assert "CN¥12,000.00" in renderer.render("sms", en, ".txt.j2")
    assert "October 1, 2026" in renderer.render("sms", en, ".txt.j2")


def test_letters_escape_html_from_debtor_data() -> None:
    renderer = Renderer()
    letter = next(r for r in requests("en", name="<script>alert(1)</script>") if r.action.value == "send_demand_letter")
    html = renderer.render("letters", letter, ".html.j2")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_template_injection_in_debtor_data_is_not_executed() -> None:
    request = requests("en", name="{{ 7*7 }} {% raw %}")[0]
    assert "{{ 7*7 }} {% raw %}" in Renderer().render("sms", request, ".txt.j2")


def test_missing_template_is_a_non_retryable_template_error() -> None:
    request = requests("en")[0].model_copy(update={"template": "no_such_template"})
    with pytest.raises(TemplateError, match=r"sms/en/no_such_template\.txt\.j2"):
        Renderer().render("sms", request, ".txt.j2")
