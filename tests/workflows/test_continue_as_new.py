"""Continue-as-new: a long-lived account starts fresh runs as its history grows, and nothing is lost across the
boundary, even with signals and updates arriving around it."""

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from domain.commands import PromiseToPay
from tests.workflows.harness import Account
from tests.workflows.test_collection import STANDARD_LADDER
from workflows import PROMISE_TO_PAY

EVENTS_PER_RUN = 60  # a ladder's first days pass it several times over


async def test_signals_and_updates_around_the_boundary_are_all_applied_once(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path, events_per_run=EVENTS_PER_RUN)
    async with account:
        await account.open()
        first_run = (await account.handle.describe()).run_id
        for day in range(1, 26):
            payments = [account.pay(f"PAY-{day}-{n}", "10.00") for n in range(4)]
            again = account.pay(f"PAY-{day}-0", "10.00")  # a provider redelivers: applied once
            await asyncio.gather(*payments, again)
            if day == 12:
                today = await account.today()
                promised = today + timedelta(days=5)
                promise = account.update(PROMISE_TO_PAY, PromiseToPay, amount="100.00", currency="CNY",
                                         promised_date=promised)  # fmt: skip
                await asyncio.gather(promise, account.pay("PAY-extra", "10.00"))
            await account.days(1)
        status = await account.status()
        runs = await _runs(account, first_run)

        assert len(runs) >= 3, f"expected several runs, got {len(runs)}"
        assert len(status.payments) == 25 * 4 + 1
        assert [(b.currency, str(b.amount)) for b in status.balances] == [("CNY", "10990.00")]
        assert [p.state for p in status.promises] == ["kept"]
        assert [h.kind for h in status.history].count("payment") == 25 * 4 + 1  # the redeliveries left no trace
        # Every ladder step of days 1 to 20 once, and nothing twice (the promise held the ladder for a while).
        steps = account.steps()
        assert len(steps) == len(set(steps))
        assert steps[:3] == [step for step, day in STANDARD_LADDER if day <= 10]

        await account.pay("PAY-rest", "10990.00")
        assert (await account.result()).outcome == "paid"


async def _runs(account: Account, first_run: str) -> list[str]:
    """The runs of the account's workflow, following each ContinuedAsNew event from the first."""
    runs, run = [], first_run
    while run:
        runs.append(run)
        history = await account.env.client.get_workflow_handle(account.handle.id, run_id=run).fetch_history()
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            break
        run = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
    return runs
