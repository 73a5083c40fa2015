"""One account under the time-skipping server, driven like an operator would: events, commands, time."""

import asyncio
import contextlib
import os
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.channels import FileChannel
from domain.commands import ApprovalDecision, Command, CompleteTask, ConfirmLawyerLetter
from domain.legal_proceedings import CaseState
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import submit
from tests.factories import billing, overdue, payment
from worker import build_worker
from workflows import (
    APPROVE_ACTION,
    COMPLETE_TASK,
    CONFIRM_LAWYER_LETTER,
    PAYMENT_RECEIVED,
    STATUS,
    case_workflow_id,
    workflow_id,
)

BOOK = PolicyBook()
# A folder: every Account saves its workflow history there when its test passes (see tests/histories/README.md).
RECORD_HISTORIES = os.environ.get("RECORD_HISTORIES")


def any_day(book: PolicyBook) -> PolicyBook:
    """The same policies, contact allowed on public holidays and letters on any day: the time-skipping clock starts
    at today's date and wanders across years, and tests about the ladder must not depend on which days are weekends
    or holidays (tests about windows use BOOK)."""
    copy = PolicyBook(book.folder)
    for segment, policy in book.by_segment.items():
        windows = {name: w.model_copy(update={"holidays": True}) for name, w in policy.contact.windows.items()}
        office = policy.contact.office_hours.model_copy(update={"holidays": True, "weekdays": [1, 2, 3, 4, 5, 6, 7]})
        contact = policy.contact.model_copy(update={"windows": windows, "office_hours": office})
        copy.by_segment[segment] = copy.named[policy.name] = policy.model_copy(update={"contact": contact})
    return copy


LADDER_BOOK = any_day(BOOK)
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Account:
    """One account in a fresh task queue, with the real worker writing to its own outbox."""

    def __init__(
        self,
        env: WorkflowEnvironment,
        outbox: Path,
        book: PolicyBook = LADDER_BOOK,
        events_per_run: int = 5000,
        **worker: Any,
    ) -> None:
        self.env, self.outbox, self.book, self.events_per_run = env, outbox, book, events_per_run
        self.id = f"ACC-{uuid.uuid4().hex[:8]}"
        self.queue = f"tq-{uuid.uuid4()}"
        self.worker = build_worker(env.client, outbox, task_queue=self.queue, **worker)  # e.g. courier=...
        self.database_url = f"sqlite:///{outbox / 'collections.db'}"  # where build_worker puts the store
        self.commands = 0

    async def __aenter__(self) -> "Account":
        await self.worker.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """A workflow left running would hold the time-skipping clock for the next test: end it."""
        if RECORD_HISTORIES and exc[0] is None:
            await self.record(Path(RECORD_HISTORIES))
        for handle in (self.handle, self.case_handle()):  # the account's legal case runs on its own (rules 10)
            with contextlib.suppress(RPCError):
                if await self._settled(handle):
                    await handle.terminate("test over")
        await self.worker.__aexit__(*exc)

    @staticmethod
    async def _settled(handle: WorkflowHandle) -> bool:
        """Whether the workflow still runs, once its workflow task and activities in flight are done (up to 5 s): one
        ended under a running activity leaves the time-skipping server waiting for it, and the next test's clock
        stuck."""
        for _ in range(50):
            description = await handle.describe()
            if description.status != WorkflowExecutionStatus.RUNNING:
                return False
            raw = description.raw_description
            if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                return True
            await asyncio.sleep(0.1)
        return True

    async def record(self, folder: Path) -> None:
        """Save the account's history (its latest run) for the replay tests, named after the running test."""
        test = os.environ.get("PYTEST_CURRENT_TEST", "scenario").split("::")[-1].split(" ")[0]
        path, n = folder / f"{test}.json", 1
        while path.exists() and n < 10:  # a test with several accounts
            n += 1
            path = folder / f"{test}-{n}.json"
        history = await self.handle.fetch_history()
        path.write_text(history.to_json(), encoding="utf-8")

    @property
    def handle(self) -> WorkflowHandle:
        return self.env.client.get_workflow_handle(workflow_id(self.id), result_type=AccountStatus)

    def case_handle(self, episode: str = "evt-1") -> WorkflowHandle:
        """The workflow of the legal case the account's litigation step opened (rules 10)."""
        return self.env.client.get_workflow_handle(case_workflow_id(f"CASE-{self.id}-{episode}"), result_type=CaseState)

    async def open(self, days_past_due: int = 1, **event: object) -> None:
        """Start at 10:00 Shanghai time, one day (or `days_past_due`) past due: day N is then just after N's 09:00
        actions."""
        local = (await self.env.get_current_time()).astimezone(SHANGHAI)
        ten = local.replace(hour=10, minute=0, second=0, microsecond=0)
        await self.env.sleep((ten if ten > local else ten + timedelta(days=1)) - local)
        if days_past_due != 1:
            event.setdefault("due_date", await self.today() - timedelta(days=days_past_due))
        assert await self.send(**event) == "started"

    async def today(self) -> date:
        return (await self.env.get_current_time()).astimezone(SHANGHAI).date()

    async def send(self, **event: object) -> str:
        now = await self.env.get_current_time()
        invoice = overdue(account_id=self.id, occurred_at=now, **event)
        return await submit(
            self.env.client, invoice, self.book, visibility=False, task_queue=self.queue,
            history_events_per_run=self.events_per_run,
        )  # fmt: skip

    async def bill(self, event_type: str, **fields: object) -> str:
        """invoice.paid or invoice.cancelled from the billing system, through the ingest's own path."""
        at = await self.env.get_current_time()
        event = billing(event_type, account_id=self.id, occurred_at=at, **fields)
        return await submit(self.env.client, event, self.book, visibility=False, task_queue=self.queue)

    async def pay(self, payment_id: str, amount: str, currency: str = "CNY") -> None:
        at = await self.env.get_current_time()
        await self.handle.signal(PAYMENT_RECEIVED, payment(payment_id, amount, currency, at=at))

    async def update(self, name: str, command_type: type[Command], **fields: object) -> AccountStatus:
        self.commands += 1
        command = command_type(command_id=f"cmd-{self.commands}", by="tester", **fields)
        return await self.handle.execute_update(name, command, result_type=AccountStatus)

    async def signal(self, name: str, command_type: type[Command], **fields: object) -> None:
        self.commands += 1
        await self.handle.signal(name, command_type(command_id=f"cmd-{self.commands}", by="tester", **fields))

    async def days(self, n: float) -> None:
        await self.env.sleep(timedelta(days=n))

    async def result(self, skip: timedelta = timedelta(days=200)) -> AccountStatus:
        """Skip time until the workflow is done. (Only handles from start_workflow skip time on result(),
        and the starter's handle stays inside the starter.)"""
        await self.env.sleep(skip)
        return await self.handle.result()

    async def status(self) -> AccountStatus:
        return await self.handle.query(STATUS, await self.env.get_current_time(), result_type=AccountStatus)

    async def approve_until(self, stage: str, max_days: int = 200, work: bool = True) -> AccountStatus:
        """Let days pass, approving every request on the day it comes (as the general manager), and, with `work`,
        doing every task given on the day it is given, until the account reaches `stage`."""
        for _ in range(max_days):
            status = await self.status()
            if status.stage == stage or status.outcome:
                return status
            for pending in status.pending_approvals:
                decision = ApprovalDecision(command_id=f"ok-{pending.step}", by="boss", step=pending.step, reason="ok",
                                            approver_level="general_manager")  # fmt: skip
                await self.handle.execute_update(APPROVE_ACTION, decision, result_type=AccountStatus)
            if work:
                await self.work(status)
                if status.pending_approvals:  # an approved lawyer's letter is drafted at once: the firm issues it
                    await self.env.sleep(timedelta(minutes=1))
                    await self.work()
            await self.days(1)
        raise AssertionError(f"never reached {stage}")

    async def work(self, status: AccountStatus | None = None) -> None:
        """Do every task open on the account now (a lawyer's letter drafted for the firm: the firm issues it)."""
        for task in [t for t in (status or await self.status()).tasks if t.state == "open"]:
            if task.kind == "lawyer_letter_draft":
                await self.firm_issues(task.key.removeprefix("firm-draft-"))
                continue
            done = CompleteTask(command_id=f"done-{task.key}", by="worker", task=task.key, outcome="done")
            await self.handle.execute_update(COMPLETE_TASK, done, result_type=AccountStatus)

    async def firm_issues(self, step: str) -> AccountStatus:
        today = (await self.env.get_current_time()).date()
        issued = ConfirmLawyerLetter(command_id=f"firm-{step}", by="legal", step=step, answer="issued", lawyer="王律师",
                                     licence="13101200010000001", issued_on=today)  # fmt: skip
        return await self.handle.execute_update(CONFIRM_LAWYER_LETTER, issued, result_type=AccountStatus)

    def delivered(self) -> list[dict]:
        return FileChannel(self.outbox).records()

    def steps(self) -> list[str]:
        return [r["step"] for r in self.delivered()]

    def sent(self, step: str) -> dict:
        return next(r for r in self.delivered() if r["step"] == step)
