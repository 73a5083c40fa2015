"""Letters as PDF, rendered by WeasyPrint (needs Debian's pango, and fonts-noto-cjk for Chinese text)."""

import hashlib
import threading

from weasyprint import CSS, HTML

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

_base_stylesheet = CSS(string=BASE_CSS)
_rendering = threading.Lock()  # no thread-safety promise, and threaded pango crashes were reported: one at a time


def html_to_pdf(html: str) -> bytes:
    """The letter as PDF, its fonts subset and embedded. The bytes differ between two renderings of one letter
    (the font subsets carry a timestamp) unless SOURCE_DATE_EPOCH is set."""
    with _rendering:
        return HTML(string=html).write_pdf(stylesheets=[_base_stylesheet])


def sha256(data: bytes) -> str:
    """Hex digest, recorded beside a stored document so that what was sent can be proven later."""
    return hashlib.sha256(data).hexdigest()
