"""migrate_policy through Temporal: the update, its validator, its audit trail, and the ladder it leaves."""

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.commands import MigratePolicy
from domain.status import AccountStatus
from tests.domain.test_migration import version_2
from tests.workflows.harness import LADDER_BOOK, Account
from tests.workflows.test_rerouting import rejected
from workflows import MIGRATE_POLICY


async def test_an_account_moves_to_v2_keeping_its_day(time_env: WorkflowEnvironment, tmp_path: Path) -> None:
    v2 = version_2(contact=LADDER_BOOK.for_segment("standard").contact)  # holidays allowed, as in every ladder test
    account = Account(time_env, tmp_path)
    async with account:
        await account.open()
        await account.days(39)  # day 40
        status = await account.update(MIGRATE_POLICY, MigratePolicy, policy=v2, reason="v2 rollout")
        assert status.policy == "standard v2" and status.migrations[0].day_after == 40
        same = MigratePolicy(command_id="cmd-1", by="tester", policy=v2, reason="v2 rollout")  # redelivered
        again = await account.handle.execute_update(MIGRATE_POLICY, same, result_type=AccountStatus)
        assert len(again.migrations) == 1
        reason = await rejected(account, MIGRATE_POLICY, MigratePolicy, policy=v2, reason="twice")
        assert "already on standard v2" in reason
        await account.days(11)  # day 51
    steps = account.steps()
    assert "d031-send_demand_letter" in steps and "d050-send_sms" in steps
    assert "d033-send_demand_letter" not in steps and "d038-send_sms" not in steps
    assert len(steps) == len(set(steps))
