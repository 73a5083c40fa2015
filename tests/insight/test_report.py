"""The KPIs from a real store: `collections report kpis` as a process (GET /v1/reports/kpis: tests/api)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from store import facts
from store.models import Account, AccountFact, ContactLog
from store.repository import Store
from tests.insight.test_arms import arm_book
from tests.insight.test_kpis import BOOK, OWNERS, on

BIN = Path(sys.executable).parent


def fill(store: Store) -> None:
    """The hand-computed book of test_kpis, its owners and three contacts in November, in the store's tables."""
    facts.record(store, [AccountFact(key=f"{row.kind}:{n}", **vars(row)) for n, row in enumerate(BOOK)])
    for account_id, (owner, team) in OWNERS.items():
        store.upsert_account(Account(account_id=account_id, workflow_id=f"collection-{account_id}", debtor_name="x",
                                     timezone="UTC", locale="en", segment="standard", policy="standard"))  # fmt: skip
        store.set_owner(account_id, owner, team, "test", on(10, 1))
    for account_id, day, action, channel, result in (("A1", 2, "send_sms", "send_sms", "sent"),
                                                     ("A1", 12, "record_contact", "call", "no_answer"),
                                                     ("A3", 5, "send_email", "send_email", "sent"),
                                                     ("A3", 6, "send_email", "send_email", "failed")):  # fmt: skip
        store.log(ContactLog(account_id=account_id, at_utc=on(11, day), at_local="x", channel=channel, action=action,
                             result=result))  # fmt: skip


def test_the_command_line_prints_the_months_figures(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'collections.db'}"
    store = Store.open(url)
    fill(store)
    store.close()
    env = {**os.environ, "DATABASE_URL": url}
    run = subprocess.run([str(BIN / "collections"), "report", "kpis", "--month", "2026-11"], env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "2026-11, CNY" in run.stdout and "2026-11, USD" in run.stdout
    assert re.search(r"collected in the month +1,700.00\n", run.stdout)
    assert re.search(r"contacts per 1,000 collected +1.76\n", run.stdout)  # 3 contacts (the failed email is none)
    assert "formal_demand  50.0% (1/2)" in run.stdout and "35.7% (2,500/7,000)" in run.stdout
    as_json = subprocess.run([str(BIN / "collections"), "report", "kpis", "--month", "2026-11", "--json"], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
    cny = json.loads(as_json.stdout)[0]
    assert cny["figures"]["outstanding"] == "4500.0000" and cny["by"]["owner"]["li"]["collected_in_month"] == "700.0000"
    bad = subprocess.run([str(BIN / "collections"), "report", "kpis", "--month", "2026-13"], env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert bad.returncode == 1 and "month '2026-13': expected YYYY-MM" in bad.stderr


def test_the_command_line_compares_the_arms(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'collections.db'}"
    store = Store.open(url)
    rows = arm_book("early-letter/champion", 300, 0.5, 1) + arm_book("early-letter/fast", 300, 0.75, 2)
    facts.record(store, [AccountFact(key=f"{row.kind}:{n}", **vars(row)) for n, row in enumerate(rows)])
    store.close()
    run = subprocess.run([str(BIN / "collections"), "report", "arms"], env={**os.environ, "DATABASE_URL": url},
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "experiment early-letter" in run.stdout and re.search(r"early-letter/champion +300 ", run.stdout)
    assert "  fast collects more than the champion: +" in run.stdout
