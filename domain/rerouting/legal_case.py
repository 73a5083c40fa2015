"""What an account does with the news of its legal case (signal `legal_case_progress`, from the case's workflow,
rules 10): it follows the case's stage and next deadline, carries the costs the court awarded as a cost item (paid
first, like fees), and ends with the case: settled or withdrawn close it, uncollectable asks for a write-off."""

from collections.abc import Callable
from datetime import datetime

from domain.account import AccountState
from domain.arrangements import CaseLink, Charge
from domain.authority import WRITE_OFF
from domain.case_messages import CaseProgress
from domain.legal_proceedings import CaseState
from domain.rerouting.common import _record, request_approval, seen


def apply_case_progress(state: AccountState, progress: CaseProgress, now: datetime) -> None:
    case = state.legal_case
    if seen(state, progress) or state.outcome or case is None or case.case_id != progress.case_id:
        return
    case.stage, case.next_deadline, case.next_step = progress.stage, progress.next_deadline, progress.next_step
    detail = f"{progress.case_id} {progress.stage}" + (f": {progress.note}" if progress.note else "")
    if progress.costs and progress.currency:
        state.charges.append(Charge(charge_id=f"{progress.command_id}-costs", stage="court_costs",
                                    currency=progress.currency, amount=progress.costs, charged_at=now))  # fmt: skip
        detail += f"; court costs {progress.costs} {progress.currency} owed by the debtor"
    if progress.outcome:
        case.closed = True
        detail += f"; the case closed {progress.outcome}"
        if progress.outcome == "uncollectable":
            key = f"write-off-{sum(a.subject == WRITE_OFF for a in state.approvals.values()) + 1}"
            detail += f": {key} waits for approval"
            request_approval(state, now, key, WRITE_OFF, progress.by, f"legal case {progress.case_id} uncollectable")
        else:
            state.legal_outcome = progress.outcome
    _record(state, progress, now, "legal_case", detail)


def open_case(state: AccountState, now: datetime, workflow_id: Callable[[str], str]) -> CaseState:
    """The case the litigation step hands over (the store's case has the same id: activities.legal_case):
    for the balance owed in its largest currency, on the policy's clocks, followed from the account."""
    assert state.debtor is not None
    currency, claimed = max(state.balances(now).items(), key=lambda owed: owed[1])
    case_id = f"CASE-{state.account_id}-{state.episode}"
    state.legal_case = CaseLink(case_id=case_id, workflow_id=workflow_id(case_id))
    state.log(now, "event", f"legal case {case_id} runs as workflow {workflow_id(case_id)}: the account stays open")
    return CaseState(case_id=case_id, account_id=state.account_id, account_workflow_id=state.workflow_id,
                     timezone=state.debtor.timezone, currency=currency, claimed=claimed, opened_at=now,
                     stage_since=now, terms=state.policy.legal_case)  # fmt: skip
