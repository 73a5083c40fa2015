"""Exports for spreadsheets: the book, the aging report, the month's KPIs and the contact log, as CSV or XLSX.

Rows are produced one at a time and written as they come: a CSV streams line by line (`csv_chunks`), an XLSX is
written by openpyxl's write-only workbook (rows go to its temporary files, not to memory) into a spooled file
(`xlsx_file`). The book comes from Temporal visibility joined with the store's accounts; the others from the
store, and the aging from visibility like the report (book.py)."""

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal

from openpyxl import Workbook
from sqlmodel import Session, col, select
from temporalio.client import Client

import book
from insight.kpis import Figures, KpiReport
from simulation.book import BOOK_COLUMNS
from store.models import Account, ContactLog
from store.repository import Store

Format = Literal["csv", "xlsx"]
WHAT = ("book", "aging", "kpis", "contacts")
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
STREAM_ROWS = 500  # contact log rows fetched at a time
CHUNK_ROWS = 200  # CSV rows sent at a time

Cell = str | int | float | Decimal | date | datetime | bool | None

BOOK_HEADER = (*BOOK_COLUMNS, "stage", "owner", "team", "oldest_due")
AGING_HEADER = ("as_of", "currency", "by", "name", "accounts", "amount")
KPI_FIGURES = tuple(Figures.model_fields)
KPI_HEADER = ("month", "currency", "dimension", "value", *KPI_FIGURES)
CONTACT_HEADER = ("at_utc", "at_local", "account_id", "channel", "action", "step", "result", "by", "template",
                  "template_version", "content_sha256", "idempotency_key", "detail")  # fmt: skip


async def book_rows(client: Client, store: Store, filters: book.Filters) -> AsyncIterator[tuple[Cell, ...]]:
    """Every open account: what visibility says of it, and what the store knows (its policy, timezone, locale,
    contact details held, owner and team: the store knows an account from its first action; until then these are
    left empty, not false). Shaped as the simulator reads a book (simulation.book.BOOK_COLUMNS)."""
    with Session(store.engine) as session:
        known = {a.account_id: a for a in session.exec(select(Account))}
    async for row in book.open_accounts(client, filters):
        account = known.get(row.account_id)
        yield (
            row.account_id, row.segment or "", _policy_name(account.policy) if account else "", row.outstanding,
            row.currency,
            row.days_past_due, account.timezone if account else "", account.locale if account else "", "",
            (account.phone is not None) if account else "", (account.email is not None) if account else "", "",
            row.stage,
            account.owner if account else "", account.team if account else "", row.oldest_due,
        )  # fmt: skip


def _policy_name(recorded: str) -> str:
    """The policy's name from the store's "<name> v<version>" (what the simulator looks it up by)."""
    name, _, version = recorded.rpartition(" v")
    return name if name and version.isdigit() else recorded


def aging_rows(report: book.AgingReport) -> Iterator[tuple[Cell, ...]]:
    for currency, buckets in report.buckets.items():
        for name, tally in buckets.items():
            yield report.as_of, currency, "bucket", name, tally.count, tally.amount
        for name, tally in report.stages[currency].items():
            yield report.as_of, currency, "stage", name, tally.count, tally.amount


def kpi_rows(reports: Sequence[KpiReport]) -> Iterator[tuple[Cell, ...]]:
    for report in reports:
        yield report.month, report.currency, "all", "", *_figures(report.figures)
        for dimension, values in report.by.items():
            for value, figures in values.items():
                yield report.month, report.currency, dimension, value, *_figures(figures)


def _figures(figures: Figures) -> tuple[Cell, ...]:
    values = figures.model_dump()
    return tuple(value["rate"] if isinstance(value, dict) else value for value in values.values())


def contact_rows(
    store: Store, start: datetime | None = None, end: datetime | None = None
) -> Iterator[tuple[Cell, ...]]:
    """The contact log, oldest first, fetched STREAM_ROWS at a time."""
    statement = select(ContactLog).order_by(col(ContactLog.at_utc), col(ContactLog.id))
    if start is not None:
        statement = statement.where(ContactLog.at_utc >= start)
    if end is not None:
        statement = statement.where(ContactLog.at_utc < end)
    with Session(store.engine) as session:
        for entry in session.exec(statement.execution_options(yield_per=STREAM_ROWS)):
            yield tuple(getattr(entry, name) for name in CONTACT_HEADER)


class CsvWriter:
    """CSV as UTF-8 bytes, taken as it grows (a BOM first, so that spreadsheets read the Chinese)."""

    def __init__(self, header: Sequence[str]) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)
        self.buffer.write("\ufeff")
        self.writer.writerow(header)

    def add(self, row: Sequence[Cell]) -> None:
        self.writer.writerow([_text(cell) for cell in row])

    def take(self) -> bytes:
        data = self.buffer.getvalue().encode()
        self.buffer.seek(0)
        self.buffer.truncate()
        return data


class XlsxWriter:
    """One sheet, written by openpyxl's write-only workbook; `finish` gives the file, rewound (a spooled file: in
    memory up to 8 MB, then on disk)."""

    def __init__(self, header: Sequence[str], sheet: str) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet(sheet[:31])
        self.sheet.append(list(header))

    def add(self, row: Sequence[Cell]) -> None:
        self.sheet.append([_cell(cell) for cell in row])

    def finish(self) -> IO[bytes]:
        spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the caller reads and closes it)
        self.workbook.save(spooled)
        spooled.seek(0)
        return spooled


def export(header: Sequence[str], rows: Iterable[Sequence[Cell]], form: Format, sheet: str) -> Iterator[bytes]:
    """The file's bytes, chunk after chunk: a CSV every CHUNK_ROWS rows, an XLSX once written."""
    if form == "csv":
        writer = CsvWriter(header)
        for count, row in enumerate(rows, start=1):
            writer.add(row)
            if count % CHUNK_ROWS == 0:
                yield writer.take()
        yield writer.take()
        return
    workbook = XlsxWriter(header, sheet)
    for row in rows:
        workbook.add(row)
    yield from _read(workbook.finish())


async def export_async(header: Sequence[str], rows: AsyncIterator[Sequence[Cell]], form: Format,
                       sheet: str) -> AsyncIterator[bytes]:  # fmt: skip
    """`export` of rows that come asynchronously (the book, page by page from visibility)."""
    writer: CsvWriter | XlsxWriter = CsvWriter(header) if form == "csv" else XlsxWriter(header, sheet)
    count = 0
    async for row in rows:
        writer.add(row)
        count += 1
        if isinstance(writer, CsvWriter) and count % CHUNK_ROWS == 0:
            yield writer.take()
    if isinstance(writer, CsvWriter):
        yield writer.take()
    else:
        for chunk in _read(writer.finish()):
            yield chunk


def _read(file: IO[bytes]) -> Iterator[bytes]:
    with file:
        while chunk := file.read(64 * 1024):
            yield chunk


def _safe(text: str) -> str:
    """Never a formula: a debtor's name or a note cannot run in the reader's spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and len(text) > 1 else text


def _text(cell: Cell) -> Any:
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    if isinstance(cell, str):
        return _safe(cell)
    return "" if cell is None else cell


def _cell(cell: Cell) -> Any:
    """What a spreadsheet cell holds: numbers as numbers, instants without their zone (UTC, as the header says)."""
    if isinstance(cell, Decimal):
        return float(cell)
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)
    if isinstance(cell, str):
        return _safe(cell)
    return cell
