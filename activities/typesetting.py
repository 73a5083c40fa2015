"""Letters as PDF, typeset by Typst (the `typst` package: its compiler runs in this process, no system library) from
the Typst source the letter templates render (templates/letters/<locale>/*.typ.j2).

Fonts: Typst's own Libertinus Serif for Latin text, and Noto Serif CJK SC from Debian's fonts-noto-cjk for Chinese.
Only those are loaded, never the machine's other fonts: the same letter comes out the same on every worker. A PDF is
typeset from its source alone (no clock, no network): the same source and date give the same bytes, so that a
letter rendered again, for the legal package or a court, has the checksum recorded when it was sent."""

import base64
import functools
import hashlib
import tempfile
import threading
import uuid
from datetime import datetime
from pathlib import Path

import typst

# fonts-noto-cjk's folder (Debian). The compiler reads the fonts it finds there once, when a worker starts.
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"),)
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg", "image/gif": "gif"}


class TypesettingError(Exception):
    """The Typst source does not compile (a template's mistake): retrying cannot help."""


class Typesetter:
    """One Typst compiler for this process, its fonts loaded once (about 0.1 s); a letter then costs a few
    milliseconds, most of them outside the GIL. The compiler takes one letter at a time (it refuses concurrent use).

    Images (a creditor's letterhead, signature and seal, data URIs in its profile) are written once to a folder of
    this process, named by their content, which is the only folder a letter may read from."""

    def __init__(self, font_dirs: tuple[Path, ...] = FONT_DIRS) -> None:
        missing = [str(folder) for folder in font_dirs if not folder.is_dir()]
        if missing:
            raise RuntimeError(f"no fonts in {', '.join(missing)}: install Debian's fonts-noto-cjk")
        self._images = tempfile.TemporaryDirectory(prefix="collections-letters-")
        self.root = Path(self._images.name)
        self._compiler = typst.Compiler(
            root=str(self.root), font_paths=[str(folder) for folder in font_dirs], ignore_system_fonts=True
        )
        self._lock = threading.Lock()

    def pdf(self, source: str, dated: datetime) -> bytes:
        """The letter as PDF (A4 as its source sets it, fonts subset and embedded), its metadata dated `dated`."""
        with self._lock:
            try:
                pdf = self._compiler.compile(input=source.encode(), timestamp=int(dated.timestamp()))
            except typst.TypstError as error:
                raise TypesettingError(str(error)) from None
        assert isinstance(pdf, bytes)  # one PDF, not pages as images
        return pdf

    def image(self, data_uri: str) -> str:
        """The path, as a letter names it, of an image given as a data URI (written on first use)."""
        header, _, payload = data_uri.partition(",")
        kind = header.removeprefix("data:").removesuffix(";base64")
        if kind not in IMAGE_TYPES or not header.endswith(";base64"):
            raise TypesettingError(f"an image must be a base64 data URI of {', '.join(IMAGE_TYPES)}, not {kind!r}")
        data = base64.b64decode(payload)
        name = f"{hashlib.sha256(data).hexdigest()[:24]}.{IMAGE_TYPES[kind]}"
        path = self.root / name
        if not path.exists():
            temporary = self.root / f".{uuid.uuid4().hex}.tmp"
            temporary.write_bytes(data)
            temporary.replace(path)  # whole or absent: another thread may be typesetting with it
        return f"/{name}"

    @classmethod
    @functools.cache
    def shared(cls) -> "Typesetter":
        """This process's typesetter (tests and the worker build many renderers: the fonts load once)."""
        return cls()


def sha256(data: bytes) -> str:
    """Hex digest, recorded beside a stored document so that what was sent can be proven later."""
    return hashlib.sha256(data).hexdigest()
