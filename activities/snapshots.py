"""The monthly aging snapshot's work (workflows/snapshot.py): each open account as visibility shows it, with its
owner, team and experiment arm from the store, written once per month and account; then the early-warning rules
(domain/early_warning.py) evaluated against the month before, each crossing a task for the collections manager."""

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select
from temporalio import activity
from temporalio.client import Client

import book
from domain.aging import bucket_of
from domain.early_warning import Rule, evaluate
from insight.kpis import previous
from insight.sources import owners
from store import snapshots
from store.models import AccountFact, AgingSnapshot, Task
from store.repository import Store

BOOK = "book"  # the account id of a task about the whole book (a business line), not one account
WARNING_TASK = "early_warning"
WARNING_DUE = timedelta(days=3)

BookSource = Callable[[], AsyncIterator[book.AccountRow]]


class SnapshotDesk:
    def __init__(self, store: Store, rules: Sequence[Rule], source: BookSource) -> None:
        self.store, self.rules, self.source = store, list(rules), source

    @classmethod
    def of(cls, store: Store, rules: Sequence[Rule], client: Client, task_queue: str) -> "SnapshotDesk":
        """Reading the open book from Temporal visibility, this deployment's task queue's."""
        return cls(store, rules, lambda: book.open_accounts(client, book.Filters(task_queue=task_queue)))

    @activity.defn(name="take_snapshot")
    async def take_snapshot(self, month: str) -> int:
        """Every open account now, as `month`'s snapshot; returns how many rows were new."""
        held, arms = await asyncio.to_thread(owners, self.store), await asyncio.to_thread(_arms, self.store)
        taken = datetime.now(UTC)
        rows = [
            AgingSnapshot(month=month, taken_at=taken, account_id=row.account_id, stage=row.stage,
                          bucket=bucket_of(row.days_past_due), days_past_due=row.days_past_due,
                          outstanding=row.outstanding, currency=row.currency, segment=row.segment or "-",
                          arm=arms.get(row.account_id), owner=held.get(row.account_id, (None, None))[0],
                          team=held.get(row.account_id, (None, None))[1])
            async for row in self.source()
            if row.currency  # an account whose first workflow task has not run yet has nothing to age
        ]  # fmt: skip
        return await asyncio.to_thread(snapshots.record, self.store, rows)

    @activity.defn(name="raise_warnings")
    def raise_warnings(self, month: str) -> list[str]:
        """The early warnings of `month`'s snapshot: one manager's task each (once, whatever the retries)."""
        before = snapshots.month(self.store, previous(month))
        warnings = evaluate(self.rules, snapshots.month(self.store, month), before or None)
        now = datetime.now(UTC)
        for warning in warnings:
            self.store.create_task(Task(
                idempotency_key=f"early-warning/{month}/{warning.rule}/{warning.group}/{warning.currency}",
                account_id=BOOK, kind=WARNING_TASK, assignee_role="collections_manager",
                summary=f"Early warning, {month}: {warning.rule} for {warning.group} ({warning.currency})",
                body=f"{warning.detail}. Seed 001: the department head calls in the business line.",
                due_at=now + WARNING_DUE, step=f"early-warning-{month}-{warning.rule}-{warning.group}",
            ))  # fmt: skip
        return [warning.detail for warning in warnings]

    def all(self) -> list:
        return [self.take_snapshot, self.raise_warnings]


def _arms(store: Store) -> dict[str, str]:
    with Session(store.engine) as session:
        statement = select(AccountFact.account_id, AccountFact.arm).where(col(AccountFact.arm).is_not(None))
        return {account: arm for account, arm in session.exec(statement.distinct()) if arm}
