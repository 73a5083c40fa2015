"""What the command lines print, made safe for an operator's terminal, and their tables (`render_table`).

Names, reasons and notes come from billing systems and people. The validators refuse control characters in new
ones, but stored text from before, a store edited by hand, or a message echoing its input could still carry an
escape sequence that clears the screen or rewrites a line. Everything `starter.py`, `legal.py` and `staff.py` print
goes through `escape_controls`: control characters are shown as escapes (`\\x1b`), except newlines, tabs and carriage
returns (the progress bar redraws its line with one)."""

import functools
import re
import sys
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import IO, Any, ParamSpec

P = ParamSpec("P")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    return _CONTROLS.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


class _Escaping:
    """A text stream that escapes control characters in what is written to it."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(escape_controls(text))

    def __getattr__(self, name: str) -> Any:  # flush, isatty, encoding...: the stream's own
        return getattr(self._stream, name)


@contextmanager
def escaped_output() -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Escaping(out), _Escaping(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def escaping_output(main: Callable[P, Coroutine[Any, Any, int]]) -> Callable[P, Coroutine[Any, Any, int]]:
    """A command line's main, printing through `escaped_output`."""

    @functools.wraps(main)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> int:
        with escaped_output():
            return await main(*args, **kwargs)

    return wrapped


def render_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if _is_number(c) else c.ljust(w) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)])


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell.split(" ")[0].replace(",", ""))  # 1,700.00 too
    except ArithmeticError:
        return False
    return True
