"""The statute of limitations: when a debt becomes time-barred, and what restarted the clock.

The period runs from the oldest unpaid due date and restarts with a written demand delivered (from rules 6: its
delivery reported by the courier, or presumed where the policy says so; before, its sending), a promise to
pay, a partial payment, the debtor's confirmation of the balance or a signed repayment agreement (acknowledgements of
the debt); each is already
evidence in the account (history, promises, payments, the contact records)."""

from collections.abc import Callable
from datetime import date, datetime

from domain.account import AccountState
from domain.kinds import ActionKind

WRITTEN_DEMANDS = {ActionKind.DEMAND_LETTER, ActionKind.FINAL_NOTICE, ActionKind.LAWYER_LETTER}


def limitation(state: AccountState, local_day: Callable[[datetime], date]) -> tuple[date, str] | None:
    """(limitation date, what last started or restarted the period); `local_day` turns an instant into the
    debtor's calendar day. None once nothing is owed."""
    due = state.oldest_due_date()
    if due is None:
        return None
    demands = {s.key for s in state.policy.steps if s.action in WRITTEN_DEMANDS}
    if state.rules >= 6:  # on its delivery, proven or presumed: never on being queued or posted
        demanded = [(local_day(letter.at), f"{letter.step} {letter.status} ({letter.tracking})")
                    for letter in state.letters.values()
                    if letter.step in demands and letter.at and letter.status in ("delivered", "presumed")]  # fmt: skip
    else:
        demanded = [
            (local_day(h.at), f"{h.step} delivered") for h in state.history if h.kind == "action" and h.step in demands
        ]
    starts: list[tuple[date, str]] = [(due, f"due date {due}"), *demanded]
    starts += [(local_day(p.made_at), f"promise {p.promise_id} made") for p in state.promises]
    total = sum((i.amount for i in state.invoices), start=0)
    starts += [(local_day(p.received_at), f"partial payment {p.payment_id}") for p in state.payments
               if p.amount - p.unapplied < total]  # fmt: skip
    starts += [(local_day(c.at), f"balance confirmed ({c.record_id})") for c in state.contact_records
               if c.channel == "confirmation" and c.result == "confirmed"]  # fmt: skip
    starts += [(a.signed_on, f"{a.agreement_id} signed") for a in state.agreements if a.signed_on]  # rules 8
    years = state.policy.limitation.years
    if state.rules < 4:
        start, why = max(starts, key=lambda item: item[0])
        return _plus(start, years), why
    # From rules 4 the period is followed in order: a creditor's demand made after it ended revives nothing (the
    # debtor's own acts, a promise, a payment or a confirmation, still do: the debtor waives the defence).
    end, why = _plus(due, years), f"due date {due}"
    for start, reason in sorted(starts[1:]):
        if start <= end or (start, reason) not in demanded:
            end, why = max((end, why), (_plus(start, years), reason))
    return end, why


def _plus(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)
