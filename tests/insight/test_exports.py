"""Exports opened back as a spreadsheet would: CSV with csv, XLSX with openpyxl; large ones written as they are read."""

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from insight import exports
from insight.sources import month_report
from store.models import ContactLog
from store.repository import Store
from tests.insight.test_report import fill

BIN = Path(sys.executable).parent


def stored(tmp_path: Path, contacts: int = 0) -> tuple[Store, str]:
    url = f"sqlite:///{tmp_path / 'collections.db'}"
    store = Store.open(url)
    fill(store)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(contacts):
        store.log(ContactLog(account_id=f"BIG-{n % 97}", at_utc=start + timedelta(seconds=n), at_local="x",
                             channel="send_sms", action="send_sms", result="sent", detail=f"message {n}"))  # fmt: skip
    return store, url


def test_kpis_as_csv_and_xlsx_read_back(tmp_path: Path) -> None:
    store, _ = stored(tmp_path)
    reports = month_report(store, "2026-11")
    text = b"".join(exports.export(exports.KPI_HEADER, exports.kpi_rows(reports), "csv", "kpis")).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    whole = next(r for r in rows if r["currency"] == "CNY" and r["dimension"] == "all")
    assert (whole["collected_in_month"], whole["outstanding"], whole["dso"]) == ("1700.0000", "4500.0000", "58.5")
    assert {r["value"] for r in rows if r["dimension"] == "owner"} == {"li", "wang", "-"}
    xlsx = b"".join(exports.export(exports.KPI_HEADER, exports.kpi_rows(reports), "xlsx", "kpis"))
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = list(sheet.values)
    assert sheet.title == "kpis" and values[0] == exports.KPI_HEADER
    assert values[1][:4] == ("2026-11", "CNY", "all", None) and values[1][6] == 1700.0  # numbers as numbers
    store.close()


def test_a_large_contact_log_streams_in_chunks_and_never_as_formulas(tmp_path: Path) -> None:
    store, _ = stored(tmp_path, contacts=5000)
    formula = '=HYPERLINK("http://x","click")'
    store.log(ContactLog(account_id="A1", at_utc=datetime(2026, 11, 30, tzinfo=UTC), at_local="x", channel="call",
                         action="record_contact", result="reached", detail=formula))  # fmt: skip
    chunks = list(exports.export(exports.CONTACT_HEADER, exports.contact_rows(store), "csv", "contacts"))
    assert len(chunks) > 20  # written as read, CHUNK_ROWS rows at a time
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 1 + 5000 + 4 + 1 + 3  # header, the big log, fill()'s four and three owner changes, the call
    assert rows[-1][-1] == '\'=HYPERLINK("http://x","click")'
    november = list(exports.contact_rows(store, datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    assert len(november) == 1
    store.close()


def test_the_command_line_writes_an_xlsx_file(tmp_path: Path) -> None:
    store, url = stored(tmp_path, contacts=300)
    store.close()
    out = tmp_path / "contacts.xlsx"
    env = {**os.environ, "DATABASE_URL": url}
    command = ["report", "export", "contacts", "--format", "xlsx", "--output", str(out), "--month", "2026-11"]
    run = subprocess.run([str(BIN / "collections"), *command], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert f"written to {out}" in run.stderr
    sheet = load_workbook(out, read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == 1 + 300 + 4  # November's: the big log and fill()'s four
    refused = subprocess.run([str(BIN / "collections"), "report", "export", "contacts", "--format", "xlsx"], env=env,
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert refused.returncode == 1 and "an XLSX export needs --output FILE" in refused.stderr
