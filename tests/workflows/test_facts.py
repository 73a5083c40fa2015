"""The KPIs' projection: a run marked `kpi-facts` writes what its account did (domain.facts) to the store, each fact
once; an experiment's arm is recorded on the account and its facts."""

from datetime import timedelta
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.commands import PromiseToPay
from domain.policy import DEFAULT_POLICY_DIR
from domain.policy_book import PolicyBook
from store import facts, make_engine
from store.models import AccountFact
from store.repository import Store
from tests.workflows.harness import Account, any_day
from worker import SANDBOX
from workflows import PROMISE_TO_PAY
from workflows.collection import CollectionWorkflow


def stored_facts(account: Account) -> list[AccountFact]:
    store = Store(make_engine(account.database_url))
    try:
        return sorted((row for row in facts.read(store) if row.account_id == account.id), key=lambda row: row.id or 0)
    finally:
        store.close()


async def test_a_run_writes_each_fact_once(time_env: WorkflowEnvironment, tmp_path: Path) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.open(amount="12000.00")
        await account.days(4)
        await account.pay("PAY-1", "2000.00")
        await account.days(1)
        promised = await account.today() + timedelta(days=3)
        await account.update(PROMISE_TO_PAY, PromiseToPay, amount="10000.00", currency="CNY", promised_date=promised)
        await account.days(2)
        await account.pay("PAY-2", "10000.00")
        result = await account.result()
        history = await account.handle.fetch_history()
    assert result.outcome == "paid"
    rows = stored_facts(account)
    assert [(r.kind, r.key) for r in rows] == [
        ("placed", "invoice:INV-1"),
        ("stage", "stage:friendly"),
        ("paid", "payment:PAY-1"),
        ("promise", "promise:cmd-1"),
        ("paid", "payment:PAY-2"),
        ("promise_kept", "promise:cmd-1:kept"),
        ("closed", "closed"),
    ]
    placed, paid = rows[0], [r for r in rows if r.kind == "paid"]
    assert (placed.amount, placed.currency, placed.segment, placed.policy, placed.arm) == (
        12000, "CNY", "standard", "standard", None)  # fmt: skip
    assert [r.amount for r in paid] == [2000, 10000]
    assert rows[-1].detail == "paid"
    replayer = Replayer(workflows=[CollectionWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOX)
    await replayer.replay_workflow(WorkflowHistory(account.handle.id, history.events))


def experiment_book(folder: Path, share: float) -> PolicyBook:
    """The shipped policies, the example challenger, and an experiment giving it `share` of standard's accounts."""
    folder.mkdir()
    for path in DEFAULT_POLICY_DIR.glob("*.toml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    examples = DEFAULT_POLICY_DIR.parent / "examples"
    challenger = examples / "policies" / "standard-early-letter.toml"
    (folder / challenger.name).write_text(challenger.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "experiments").mkdir()
    (folder / "experiments" / "early-letter.toml").write_text(
        'name = "early-letter"\nchampion = "standard"\nsegments = ["standard"]\n'
        f'challengers = [{{ policy = "standard-early-letter", share = {share} }}]\n', encoding="utf-8")  # fmt: skip
    return PolicyBook(folder)


async def test_a_challengers_account_runs_its_policy_and_carries_its_arm(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    book = any_day(experiment_book(tmp_path / "policies", share=0.999))  # every account: the challenger
    account = Account(time_env, tmp_path, book=book)
    async with account:
        await account.open(amount="3000.00")
        await account.days(16)  # the challenger's demand letter goes at day 15 (the champion's at 31)
        status = await account.status()
        await account.pay("PAY-1", "3000.00")
        await account.result()
    assert status.arm == "early-letter/standard-early-letter"
    assert status.policy.startswith("standard-early-letter")
    assert "d015-send_demand_letter" in account.steps()
    assert {row.arm for row in stored_facts(account)} == {"early-letter/standard-early-letter"}
