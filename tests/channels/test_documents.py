"""The real formal demand letters as PDF: valid, text extractable, Chinese set in an embedded CJK font."""

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader

from activities.documents import PdfRenderers, html_to_pdf, sha256
from domain.policy import PolicyBook
from settings import ROOT
from tests.domain.simulate import open_account, simulate
from tests.factories import example_renderer

START = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
DEBTOR = "上海明达贸易有限公司"  # the default debtor of tests.factories, in both locales


def formal_demand(locale: str, **debtor: object) -> str:
    """The letter exactly as the demand-letter activity renders it, for the planner's real request."""
    state = open_account(PolicyBook().for_segment("standard"), START, locale=locale, **debtor)
    requests = simulate(state, START, START + timedelta(days=400)).requests
    return example_renderer().render("letters", next(r for r in requests if r.template == "formal_demand"), ".html.j2")


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
def test_formal_demand_renders_to_pdf_with_its_chinese_in_a_simplified_chinese_font(
    locale: str, phrases: list[str]
) -> None:
    pdf = html_to_pdf(formal_demand(locale))
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join("".join(page.extract_text() for page in reader.pages).split())  # h1 is letter-spaced; lines wrap
    for phrase in phrases:
        assert "".join(phrase.split()) in text
    cjk = {name for name in fonts(reader) if "CJK" in name}
    # Not fontconfig's own pick (Noto Sans CJK JP: Japanese glyph forms) even in the English letter.
    assert cjk and all(name.startswith("Noto-Serif-CJK-SC") for name in cjk), fonts(reader)


def test_letters_render_in_a_process_of_their_own_which_is_replaced_when_it_dies() -> None:
    renderers, html = PdfRenderers(processes=1), formal_demand("en")
    try:
        assert PdfReader(io.BytesIO(renderers.render(html))).pages
        (child,) = renderers._pool._processes.values()  # the spawned renderer
        assert child.pid != os.getpid()
        os.kill(child.pid, signal.SIGKILL)  # as a pango crash would end it
        child.join()
        with pytest.raises(BrokenProcessPool):  # retryable: the activity runs again
            renderers.render(html)
        assert PdfReader(io.BytesIO(renderers.render(html))).pages  # on a fresh process
    finally:
        renderers.close()


PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture
def web() -> Iterator[tuple[str, list[str]]]:
    """A web server on a free loopback port serving a stylesheet to any path; the paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b'body::after { content: "FROM THE NETWORK" }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def test_a_letter_loads_nothing_from_files_or_the_network_only_its_own_data(
    web: tuple[str, list[str]], tmp_path: Path
) -> None:
    """WeasyPrint's default fetcher reads any URL: a template (or a debtor's text, if escaping ever failed) naming
    file:///etc/passwd as an attachment put the file into the PDF, and an http:// stylesheet called out."""
    url, asked = web
    stylesheet = tmp_path / "local.css"
    stylesheet.write_text('body::before { content: "FROM A FILE" }')
    pdf = html_to_pdf(f"""<html><head>
        <link rel="attachment" href="file:///etc/passwd">
        <link rel="stylesheet" href="file://{stylesheet}">
        <link rel="stylesheet" href="{url}/letter.css">
        <style>@import url("{url}/imported.css");</style>
        </head><body><p>Dear debtor</p><img src="{url}/pixel.png"><img src="data:image/png;base64,{PIXEL}">
        </body></html>""")
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Dear debtor" in text and "FROM A FILE" not in text and "FROM THE NETWORK" not in text
    assert reader.attachments == {} and asked == []
    assert len(reader.pages[0]["/Resources"]["/XObject"]) == 1  # the data: image, and only it


def alive(pid: int) -> bool:
    """Running: not gone, and not a zombie that nobody reaped yet (an orphan's reaper may be slow or absent)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """The pids still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


# A worker's process as far as rendering goes: its shared renderers, one letter rendered, then it waits.
WORKER_LIKE = """
import multiprocessing.resource_tracker, sys, time
from activities.documents import PdfRenderers
renderers = PdfRenderers.shared(1)
renderers.render("<p>letter</p>")
print(*renderers._pool._processes, multiprocessing.resource_tracker._resource_tracker._pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_a_killed_worker_leaves_no_renderer_and_no_resource_tracker_behind() -> None:
    worker = subprocess.Popen([sys.executable, "-c", WORKER_LIKE], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        renderer, tracker = map(int, worker.stdout.readline().split())  # type: ignore[union-attr]
        assert alive(renderer) and alive(tracker)
        worker.kill()  # SIGKILL: no shutdown code runs in the worker
        worker.wait()
        assert gone_within([renderer, tracker], 10) == []
    finally:
        worker.kill()
        worker.wait()


def test_a_renderer_ignores_ctrl_c_which_its_parent_handles() -> None:
    """Ctrl-C in a terminal signals the whole process group: the renderer printed a KeyboardInterrupt traceback."""
    renderers = PdfRenderers(processes=1)
    try:
        assert renderers.render("<p>first</p>").startswith(b"%PDF")
        (child,) = renderers._pool._processes.values()
        os.kill(child.pid, signal.SIGINT)
        time.sleep(0.5)
        assert child.is_alive() and renderers.render("<p>second</p>").startswith(b"%PDF")
    finally:
        renderers.close()


def test_sha256_is_the_hex_digest() -> None:
    assert sha256(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
