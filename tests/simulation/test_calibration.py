"""The response model fitted from what happened: contacts, and what each debtor did within the window after one."""

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from simulation.calibration import Contact, fit
from simulation.responses import load_model
from store import facts
from store.models import AccountFact, ContactLog
from store.repository import Store

START = datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
DEFAULT = load_model()


@dataclass
class Fact:
    account_id: str
    kind: str
    at: datetime
    key: str = ""
    detail: str = ""
    segment: str = "standard"


def book(sms: int = 200) -> tuple[list[Contact], list[Fact]]:
    """`sms` accounts texted on day 0: 20 pay in full 2 days later, 10 promise (6 kept), 10 pay in part a week later;
    one more account pays unasked with no contact at all."""
    contacts, found = [], []
    for n in range(sms):
        account = f"A{n}"
        contacts.append(Contact(account, START, "send_sms"))
        found.append(Fact(account, "placed", START - timedelta(days=1)))
        if n < 20:
            paid = START + timedelta(days=2, hours=3)
            found += [Fact(account, "paid", paid), Fact(account, "closed", paid, detail="paid")]
        elif n < 30:
            promised = START + timedelta(days=1, hours=3)
            kept = "promise_kept" if n < 26 else "promise_broken"
            found += [Fact(account, "promise", promised, key=f"promise:p{n}"),
                      Fact(account, kept, promised + timedelta(days=12), key=f"promise:p{n}:x")]  # fmt: skip
        elif n < 40:
            found.append(Fact(account, "paid", START + timedelta(days=7, hours=3)))
    found += [Fact("QUIET", "paid", START + timedelta(days=30)), Fact("QUIET", "closed", START + timedelta(days=30),
                                                                      detail="paid")]  # fmt: skip
    return contacts, found


def test_each_answer_counted_against_the_contact_before_it() -> None:
    contacts, found = book()
    model, support = fit(contacts, found, {f.account_id: f.segment for f in found}, DEFAULT)
    sms = next(row for row in model.answers if row.action == "send_sms" and row.segment == "*")
    assert support["action=send_sms segment=*"] == 200
    assert (sms.pay, sms.promise_kept, sms.promise_broken, sms.partial) == (0.1, 0.03, 0.02, 0.05)
    assert sms.dispute == 0
    shares = dict(zip(model.timing.delays, model.timing.delay_shares, strict=True))
    assert shares == {1: pytest.approx(10 / 40), 2: pytest.approx(20 / 40), 4: 0, 7: pytest.approx(10 / 40)}
    assert model.spontaneous["*"] > 0  # the quiet account paid with nobody asking


def test_a_thin_log_keeps_the_catch_all_row_only() -> None:
    contacts, found = book(sms=10)
    model, support = fit(contacts, found, {}, DEFAULT)
    assert [row.action for row in model.answers] == ["*"] and support == {"action=* segment=*": 10}


def test_the_command_writes_a_model_the_simulator_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'collections.db'}"
    store = Store.open(url)
    contacts, found = book()
    facts.record(store, [AccountFact(account_id=f.account_id, key=f.key or f"{f.kind}:{n}", kind=f.kind, at=f.at,
                                     amount=Decimal(100), currency="CNY", stage="friendly", segment=f.segment,
                                     policy="standard", detail=f.detail) for n, f in enumerate(found)])  # fmt: skip
    for contact in contacts:
        store.log(ContactLog(account_id=contact.account_id, at_utc=contact.at, at_local="x", channel="send_sms",
                             action="send_sms", result="sent"))  # fmt: skip
    store.close()
    out = tmp_path / "model.toml"
    env = {**os.environ, "DATABASE_URL": url}
    run = subprocess.run([str(Path(sys.executable).parent / "collections"), "calibrate", "--output", str(out)],
                         env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "action=send_sms segment=standard: 200 contacts" in run.stdout
    model = load_model(out)
    assert next(r for r in model.answers if r.action == "send_sms").pay == pytest.approx(0.1)
    simulated = subprocess.run([str(Path(sys.executable).parent / "collections"), "simulate", "--accounts", "50",
                                "--runs", "2", "--days", "20", "--start", "2027-01-04", "--model", str(out)],
                               capture_output=True, text=True, check=False)  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
