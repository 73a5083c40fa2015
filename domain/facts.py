"""What an account did that the department's figures count (the KPIs of insight/kpis.py): placed, paid, cancelled,
promised and kept or broken, a plan agreed and completed or defaulted, a dispute, each stage entered, closed. Pure:
`facts(state, now)` lists them with stable keys, and the workflow writes those the store does not have yet (a
projection: the store's `account_fact` table, one row per account and key, never changed).

A fact carries where the account stood when the workflow noticed it (its stage) and who it belongs to (segment,
policy, and the experiment arm it was assigned, if any), so that the figures can be cut by each."""

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from domain.account import AccountState
from domain.status import stage_and_day

FactKind = Literal[
    "placed", "paid", "cancelled", "promise", "promise_kept", "promise_broken", "plan", "plan_completed",
    "plan_defaulted", "dispute", "stage", "closed",
]  # fmt: skip
TRANSITIONAL = ("opening", "closing", "closed", "disputed")  # states of the status, not ladder stages


class Fact(BaseModel):
    key: str  # stable for the account: the store keeps the first row of each
    kind: FactKind
    at: datetime
    amount: Decimal | None = None
    currency: str | None = None
    stage: str
    detail: str = ""


class FactsRecord(BaseModel):
    """An account's new facts, for the store (the `record_facts` activity)."""

    account_id: str
    segment: str
    policy: str
    arm: str | None
    facts: list[Fact]


def facts(state: AccountState, now: datetime, known: Collection[str] = ()) -> list[Fact]:
    """Every fact the account holds now but those whose key is `known` (the workflow's loop asks at every wake, with
    the keys it has sent: only new facts are built)."""
    stage, _ = stage_and_day(state, now)
    found: list[Fact] = []

    def add(key: str, kind: FactKind, at: datetime, amount: Decimal | None = None, currency: str | None = None,
            detail: str = "") -> None:  # fmt: skip
        if key not in known:
            found.append(Fact(key=key, kind=kind, at=at, amount=amount, currency=currency, stage=stage, detail=detail))

    for invoice in state.invoices:  # when it joined is when the workflow first sees it
        add(f"invoice:{invoice.invoice_id}", "placed", now, invoice.amount, invoice.currency, invoice.invoice_id)
    for payment in state.payments:
        applied = payment.amount - payment.unapplied
        if applied > 0:
            add(f"payment:{payment.payment_id}", "paid", payment.received_at, applied, payment.currency)
    if state.cancelled > 0 and state.invoices:
        add(f"cancelled:{state.cancelled}", "cancelled", now, state.cancelled, state.invoices[0].currency,
            "the total cancelled so far")  # fmt: skip
    for promise in state.promises:
        add(f"promise:{promise.promise_id}", "promise", promise.made_at, promise.amount, promise.currency)
        if promise.state != "open" and promise.judged_at is not None:
            kind: FactKind = "promise_kept" if promise.state == "kept" else "promise_broken"
            add(f"promise:{promise.promise_id}:{promise.state}", kind, promise.judged_at, promise.amount,
                promise.currency)  # fmt: skip
        elif promise.state == "open" and state.outcome == "paid" and state.closed_at is not None:
            add(f"promise:{promise.promise_id}:kept", "promise_kept", state.closed_at, promise.amount,
                promise.currency, "paid in full before it was judged")  # fmt: skip
    plan = state.installment_plan
    if plan is not None:
        total = sum((term.amount for term in plan.installments), Decimal(0))
        add(f"plan:{plan.plan_id}", "plan", plan.agreed_at, total, plan.currency)
        if plan.state in ("completed", "defaulted"):
            ended: FactKind = "plan_completed" if plan.state == "completed" else "plan_defaulted"
            add(f"plan:{plan.plan_id}:{plan.state}", ended, now, total, plan.currency)
    for dispute in state.disputes:
        add(f"dispute:{dispute.dispute_id}", "dispute", dispute.opened_at, detail=dispute.state)
    if stage not in TRANSITIONAL:
        add(f"stage:{stage}", "stage", now)
    if state.outcome is not None and state.closed_at is not None:
        add("closed", "closed", state.closed_at, detail=state.outcome)
    return found
