from datetime import UTC, datetime, timedelta

import pytest

from activities.rendering import Renderer, TemplateError
from domain.actions import ActionRequest
from domain.policy import PolicyBook
from tests.domain.simulate import open_account, simulate

BOOK = PolicyBook()
START = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
CHANNEL = {
    "send_sms": "sms",
    "send_email": "email",
    "create_call_task": "tasks",
    "escalate_to_manager": "tasks",
    "open_litigation_task": "tasks",
}


def requests(locale: str, segment: str = "standard", **debtor: object) -> list[ActionRequest]:
    """The real request of every step of the segment's ladder, as the planner builds it."""
    state = open_account(BOOK.for_segment(segment), START, locale=locale, segment=segment, **debtor)
    return simulate(state, START, START + timedelta(days=400)).requests


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("segment", ["standard", "important", "high_risk"])
def test_every_template_of_every_ladder_renders(locale: str, segment: str) -> None:
    renderer = Renderer()
    ladder = requests(locale, segment)
    assert len(ladder) == len(BOOK.for_segment(segment).steps)
    for request in ladder:
        channel = CHANNEL.get(request.action.value, "letters")
        if channel == "email":
            parts = [renderer.render_block("email", request, block) for block in ("subject", "text", "html")]
            assert "\n" not in parts[0] and "12" in parts[0] + parts[1]
        elif channel == "tasks":
            assert "ACC-1" in renderer.render("tasks", request, ".txt.j2", staff=True)
        else:
            suffix = ".txt.j2" if channel == "sms" else ".html.j2"
            text = renderer.render(channel, request, suffix)
            assert "12,000.00" in text, (request.step, text[:200])


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
