"""The legal inbox round trip: a case handed over by the workflow, accepted and closed with legal.py by a lawyer with
a key of their own, and the outcome back in the workflow, once, however often it is recorded."""

import hashlib
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

import legal
from store.repository import Store
from tests.polling import eventually
from tests.staff import hire
from tests.workflows.harness import Account


async def test_accept_and_record_an_outcome_closes_the_account(
    time_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Account(time_env, tmp_path) as account:
        await account.open(amount="60000.00")
        await account.approve_until("with_legal")
        monkeypatch.setenv("DATABASE_URL", account.database_url)
        monkeypatch.setenv("COLLECTIONS_LEGAL_DIR", str(tmp_path / "exports"))
        store = Store.open(account.database_url)
        monkeypatch.setenv("COLLECTIONS_KEY", hire(store, "legal"))  # zhou.lawyer
        store.close()

        assert await legal.main(["list", "--state", "open"]) == 0
        case_id = capsys.readouterr().out.split()[0]
        assert case_id == f"CASE-{account.id}-evt-1"
        assert await legal.main(["show", case_id]) == 0
        shown = capsys.readouterr().out
        assert "4 documents" in shown and "d091-issue_lawyer_letter.pdf" in shown  # and the firm's draft
        assert await legal.main(["accept", case_id]) == 0
        # Issue 13: a note the workflow would refuse closed the case in the store, and every resend then failed.
        huge = ["outcome", case_id, "--outcome", "judgment", "--note", "x" * 3_000_000]
        capsys.readouterr()
        assert await legal.main(huge, client=time_env.client) == 2
        assert "rejected: note: String should have at most 4000 characters" in capsys.readouterr().err
        assert await legal.main(["list", "--state", "accepted"]) == 0
        assert case_id in capsys.readouterr().out
        judgment = ["outcome", case_id, "--outcome", "judgment", "--note", "won"]
        assert await legal.main(judgment, client=time_env.client) == 2  # from rules 10 a judgment is a step
        assert f"a judgment does not end case {case_id}" in capsys.readouterr().err
        assert await legal.main(["step", case_id, "filed", "--route", "lawsuit"], client=time_env.client) == 0
        assert capsys.readouterr().out == f"{case_id} filed recorded: lawsuit filed\n"
        won = ["step", case_id, "judgment", "--amount", "60000.00", "--currency", "CNY", "--note", "won"]
        assert await legal.main(won, client=time_env.client) == 0
        assert await legal.main(["step", case_id, "objection"], client=time_env.client) == 2
        assert "objection cannot be recorded while the case is judgment served" in capsys.readouterr().err
        outcome = ["outcome", case_id, "--outcome", "settled", "--note", "paid in court"]
        assert await legal.main(outcome, client=time_env.client) == 0
        assert await legal.main(outcome, client=time_env.client) == 0  # recorded twice, applied once
        different = ["outcome", case_id, "--outcome", "withdrawn"]
        assert await legal.main(different, client=time_env.client) == 2
        # The account closes as soon as it has recorded the outcome (and its facts): wait for it, as this handle does
        # not skip time (a bare result() could give up on a loaded machine before the close event came).
        await eventually(account.handle.describe, lambda d: d.status != WorkflowExecutionStatus.RUNNING, timeout=60)
        result = await account.handle.result()
        assert await legal.main(outcome, client=time_env.client) == 0  # after the account closed: still fine
        assert await legal.main(["show", case_id]) == 0
        shown = capsys.readouterr().out
        assert await legal.main(["export", case_id]) == 0

    assert result.outcome == "settled"
    news = hashlib.sha256(case_id.encode()).hexdigest()[:16]  # the ids of the case's news to its account
    assert [h.detail for h in result.history if "legal_case" in h.detail and "closed" in h.detail] == [
        f"legal_case by zhou.lawyer: {case_id} closed: paid in court; the case closed settled [case-{news}-3]"
    ]
    assert "history    " in shown and "judgment on " in shown and "awarded 60000.00 CNY: won (zhou.lawyer)" in shown
    assert (tmp_path / "exports" / f"{case_id}.zip").exists()
    assert (tmp_path / "exports" / case_id / "contact_log.csv").read_text().count("\n") > 20
