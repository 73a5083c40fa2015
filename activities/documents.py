"""Letters as PDF, rendered by WeasyPrint (needs Debian's pango, and fonts-noto-cjk for Chinese text)."""

import contextlib
import ctypes
import functools
import hashlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

# The letters name fonts a Debian worker lacks (Georgia, SimSun), and where a font lacks a glyph fontconfig
# picks one of its own: for a Chinese debtor name in an English letter that is Noto Sans CJK JP (Japanese
# glyph forms, in a sans among serifs). These stacks put the simplified-Chinese Noto faces right after the
# templates' own choices. Stylesheets given to WeasyPrint are of the user origin, which the templates' own
# rules beat: hence !important. Change a letter's fonts here, not in its template.
BASE_CSS = """
body {
  font-family: Georgia, "Times New Roman", "DejaVu Serif", "Noto Serif CJK SC", "Noto Sans CJK SC", serif !important;
}
:lang(zh) body {
  font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Noto Sans CJK SC", serif !important;
}
"""

# One font configuration for every letter: a fresh one per letter (WeasyPrint's default) loads the fonts again,
# which made each letter 30% slower and grew the process by megabytes a letter.
_fonts = FontConfiguration()
# What a letter may load: its own data: URLs (inline images), nothing else. No file:// (a template or a debtor's
# text naming /etc/passwd as an image or an attachment), no network. Fonts are not fetched: fontconfig finds them
# by family name among the fonts installed (Noto CJK, DejaVu). A refused URL is left out of the letter, with a
# warning from WeasyPrint.
_fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
_base_stylesheet = CSS(string=BASE_CSS, font_config=_fonts, url_fetcher=_fetcher)
_rendering = threading.Lock()  # no thread-safety promise, and threaded pango crashes were reported: one at a time


def html_to_pdf(html: str) -> bytes:
    """The letter as PDF, its fonts subset and embedded, rendered in this process. The bytes differ between two
    renderings of one letter (the font subsets carry a timestamp) unless SOURCE_DATE_EPOCH is set."""
    with _rendering:
        return HTML(string=html, url_fetcher=_fetcher).write_pdf(stylesheets=[_base_stylesheet], font_config=_fonts)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class PdfRenderers:
    """A pool of processes that render letters, so that the worker's process stays free for its workflow tasks.

    WeasyPrint's layout is pure Python: about 100 ms a letter holding the GIL, during which the workflow tasks
    of the same process wait. Processes are spawned (forking a process that runs Temporal's threads is unsafe),
    and each renders one letter at a time.

    A rendering process ignores Ctrl-C (its parent shuts it down) and, on Linux, dies with its parent: a killed
    worker leaves no renderer behind, and with the renderer gone multiprocessing's resource tracker reads the end
    of its pipe and exits too. The kernel sends that signal when the *thread* that started the process ends:
    processes are started by the worker's main thread or, to replace a crashed one, by an activity thread, and
    both live as long as the worker (a renderer lost to a thread that ended fails one attempt, as a crash does).
    """

    @classmethod
    @functools.cache
    def shared(cls, processes: int) -> "PdfRenderers":
        """This process's renderers, started now so that the first letter does not wait seconds for a process to
        spawn and import WeasyPrint. One per process however many workers it builds (tests build hundreds): a
        pool left to the garbage collector may be finalised inside a workflow's sandbox, which refuses
        multiprocessing."""
        renderers = cls(processes)
        for _ in range(processes):
            renderers._submit(renderers._pool, _ready)
        return renderers

    def __init__(self, processes: int = 1) -> None:
        if processes < 1:
            raise ValueError(f"at least one rendering process, not {processes}")
        self.processes = processes
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def render(self, html: str) -> bytes:
        """The letter as PDF. A crashed rendering process fails this call (a retryable error: the activity runs
        again) and the pool is replaced, so the next letter is rendered."""
        pool = self._pool
        try:
            return self._submit(pool, html_to_pdf, html).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            raise

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_renderer_started, initargs=(os.getpid(),),
        )  # fmt: skip

    @staticmethod
    def _submit(pool: ProcessPoolExecutor, function: Callable[..., Any], *args: object) -> Future[Any]:
        """Submitting may start a process: it is started with SIGINT blocked (see `_sigint_blocked`)."""
        with _sigint_blocked():
            return pool.submit(function, *args)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Blocks SIGINT in this thread. A process started meanwhile is born with it blocked (a signal mask survives
    fork and exec), so a Ctrl-C while it imports WeasyPrint stays pending until `_renderer_started` ignores it.
    A Ctrl-C meant for this process is taken by another of its threads, or delivered when this block ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _renderer_started(parent: int) -> None:
    """First thing in a rendering process (the pool's initializer)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the terminal's whole process group
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _ready() -> int:
    """Run in a new rendering process: unpickling it imports this module, WeasyPrint and the fonts."""
    return os.getpid()


def sha256(data: bytes) -> str:
    """Hex digest, recorded beside a stored document so that what was sent can be proven later."""
    return hashlib.sha256(data).hexdigest()
