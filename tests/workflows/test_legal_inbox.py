"""The legal inbox round trip: a case handed over by the workflow, accepted and closed with legal.py by a lawyer with
a key of their own, and the outcome back in the workflow, once, however often it is recorded."""

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

import legal
from store.repository import Store
from tests.staff import hire
from tests.workflows.harness import Account


async def test_accept_and_record_an_outcome_closes_the_account(
    time_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Account(time_env, tmp_path) as account:
        await account.open()
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
        outcome = ["outcome", case_id, "--outcome", "judgment", "--note", "won"]
        assert await legal.main(outcome, client=time_env.client) == 0
        assert await legal.main(outcome, client=time_env.client) == 0  # recorded twice, applied once
        different = ["outcome", case_id, "--outcome", "withdrawn"]
        assert await legal.main(different, client=time_env.client) == 2
        result = await account.result()
        assert await legal.main(outcome, client=time_env.client) == 0  # after the account closed: still fine
        assert await legal.main(["export", case_id]) == 0

    assert result.outcome == "judgment"
    assert [h.detail for h in result.history if "legal_outcome" in h.detail] == [
        f"legal_outcome by zhou.lawyer: judgment: won [legal-{case_id}]"
    ]
    assert (tmp_path / "exports" / f"{case_id}.zip").exists()
    assert (tmp_path / "exports" / case_id / "contact_log.csv").read_text().count("\n") > 20
