"""The real letters as PDF, typeset by Typst: valid A4, text extractable, Chinese set in an embedded simplified-
Chinese font, the same bytes every time the same letter is typeset, and nothing read but the letter's own images."""

import io
from datetime import UTC, datetime, timedelta

import jinja2
import pytest
from pypdf import PdfReader

from activities.rendering import Renderer, TemplateError
from activities.typesetting import Typesetter, sha256
from domain.actions import ActionRequest
from domain.policy_book import PolicyBook
from tests.domain.simulate import open_account, simulate
from tests.factories import EXAMPLE_CREDITOR, example_renderer

START = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
DEBTOR = "上海明达贸易有限公司"  # the default debtor of tests.factories, in both locales


def demand(locale: str, **debtor: object) -> ActionRequest:
    """The planner's real request for the formal demand letter."""
    state = open_account(PolicyBook().for_segment("standard"), START, locale=locale, **debtor)
    requests = simulate(state, START, START + timedelta(days=400)).requests
    return next(r for r in requests if r.template == "formal_demand")


def typeset(request: ActionRequest) -> bytes:
    """The letter exactly as the letter activity typesets it."""
    renderer = example_renderer()
    source, _ = renderer.letter(request)
    return renderer.pdf(source, request.planned_at)


def text_of(pdf: bytes) -> str:
    """The PDF's text, whitespace dropped (lines wrap where the layout says)."""
    return "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def fonts(reader: PdfReader) -> set[str]:
    """Base names of the embedded fonts, subset prefix dropped: "Noto-Serif-CJK-SC"."""
    return {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


ZH_CREDITOR = ["上海示例贸易有限公司", "统一社会信用代码：91310115MA1EXAMPLE", "户名上海示例贸易有限公司"]


@pytest.mark.parametrize(
    ("locale", "phrases"),
    [
        # The creditor's profile (examples/creditors) and the debtor's address, as printed.
        (
            "en",
            [
                "FORMAL DEMAND FOR PAYMENT",
                "12,000.00",
                DEBTOR,
                "Example Trading (Shanghai) Co., Ltd.",
                "Registration No. 91310115MA1EXAMPLE",
                "黄浦区南京东路1号",
                "上海市 200001",
                "China",
                "6222 0000 0000 0000",
            ],
        ),
        (
            "zh-CN",
            [
                "催款函",
                "逾期未付",
                "12,000.00",
                DEBTOR,
                *ZH_CREDITOR,
                "地址：中国上海市黄浦区南京东路1号（200001）",
                "6222 0000 0000 0000",
            ],
        ),
    ],
)
def test_formal_demand_typesets_to_a4_pdf_with_its_chinese_in_a_simplified_chinese_font(
    locale: str, phrases: list[str]
) -> None:
    pdf = typeset(demand(locale))
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = text_of(pdf)
    for phrase in phrases:
        assert "".join(phrase.split()) in text
    assert {(round(page.mediabox.width), round(page.mediabox.height)) for page in reader.pages} == {(595, 842)}
    # Only the fonts the typesetter loads, embedded: never a machine's own pick (Noto Sans CJK JP has Japanese forms).
    assert all(name.startswith(("LibertinusSerif-", "NotoSerifCJKsc-")) for name in fonts(reader)), fonts(reader)
    assert any("NotoSerifCJKsc" in name for name in fonts(reader))


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_same_letter_typesets_to_the_same_bytes_so_its_checksum_holds(locale: str) -> None:
    """The checksum in the contact log proves the letter: typeset again (for the legal package, for a court), the
    same request gives the same PDF, by another typesetter (another worker) too."""
    request = demand(locale)
    first = typeset(request)
    elsewhere = Renderer(creditors=EXAMPLE_CREDITOR, typesetter=Typesetter())
    source, _ = elsewhere.letter(request)
    again = elsewhere.pdf(source, request.planned_at)
    assert sha256(again) == sha256(first) and again == first


def test_a_debtors_text_prints_as_it_is_and_is_never_read_as_typst() -> None:
    hostile = '#read("/etc/passwd") *bold* _it_ $x$ <label> @ref [a] // not a comment \\ #set page(fill: red)'
    text = text_of(typeset(demand("en", name=hostile)))
    assert "".join(hostile.split()) in text


def test_a_letter_reads_no_file_but_its_own_images() -> None:
    """Typst reads files under the typesetter's image folder only: a template naming any other file fails, as a
    template's mistake (not retried)."""
    renderer = example_renderer()
    for call in ('#read("/etc/passwd")', '#image("/etc/hostname")', '#read("../../../../etc/passwd")'):
        with pytest.raises(TemplateError, match="does not typeset"):
            renderer.pdf(f"Dear debtor {call}", START)


def test_a_creditors_seal_is_embedded_from_its_profile() -> None:
    """The example creditor's seal (an SVG beside its profile, a data URI once loaded) is on its letters: drawn as
    vectors, its words are the PDF's text."""
    assert "EXAMPLESEAL" in text_of(typeset(demand("zh-CN")))


def test_sha256_is_the_hex_digest() -> None:
    assert sha256(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_an_image_that_is_not_one_fails_the_letter_as_a_template_error() -> None:
    """A letterhead that is no image (a profile's mistake) is refused at once, not retried for ever."""
    with pytest.raises(jinja2.TemplateError, match="base64 data URI"):
        example_renderer()._image("data:text/html;base64,PGI+")
