"""The `trade` policy (seed 002) under the time-skipping server: the chain is told in turn, each a task for its
level, and each day's call task replaces the one before it in the store's queue."""

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from store.db import make_engine
from store.repository import Store
from tests.workflows.harness import Account


async def test_seed_002s_chain_supervisor_day_14_manager_30_general_manager_60(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with Account(time_env, tmp_path) as account:
        await account.open(segment="trade")
        await account.days(60)
        escalations = [(r["step"], r["day"], r["assignee_role"]) for r in account.delivered()
                       if r["step"].endswith("escalate_to_manager")]  # fmt: skip
        assert escalations == [("d014-escalate_to_manager", 14, "supervisor"), ("d030-escalate_to_manager", 30,
                               "manager"), ("d060-escalate_to_manager", 60, "general_manager")]  # fmt: skip
        assert "Escalation to the general manager" in account.sent("d060-escalate_to_manager")["subject"]
        status = await account.status()
    calls = [t for t in Store(make_engine(account.database_url)).tasks(account.id) if t.kind == "collector_call"]
    assert [t.state for t in calls].count("open") == 1
    assert {t.outcome for t in calls if t.state == "cancelled"} >= {"superseded by d003-create_call_task"}
    assert status.policy == "trade v1" and status.stage == "strict"  # day 61
