"""record_signature: a repayment agreement's signed copy came back (domain.agreements)."""

from datetime import datetime

from domain.account import AccountState
from domain.commands import RecordSignature
from domain.rerouting.common import CommandRejected, _open, _record, finish_work, seen


def check_signature(state: AccountState, command: RecordSignature, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    agreement = next((a for a in state.agreements if a.agreement_id == command.agreement_id), None)
    if agreement is None:
        known = ", ".join(a.agreement_id for a in state.agreements) or "none"
        raise CommandRejected(f"no agreement {command.agreement_id} on this account (its agreements: {known})")
    if agreement.state == "signed":
        signed = f"{agreement.signed_on}, {agreement.evidence_ref}"
        raise CommandRejected(f"{agreement.agreement_id} is signed already ({signed})")
    clock = state.clock()
    if not clock.local_day(agreement.created_at) <= command.signed_on <= clock.local_day(now):
        raise CommandRejected(f"signed_on {command.signed_on} is not between the agreement "
                              f"({clock.local_day(agreement.created_at)}) and today")  # fmt: skip


def apply_signature(state: AccountState, command: RecordSignature, now: datetime) -> None:
    if seen(state, command):
        return
    agreement = next(a for a in state.agreements if a.agreement_id == command.agreement_id)
    agreement.state, agreement.signed_on = "signed", command.signed_on
    agreement.evidence_ref, agreement.recorded_by = command.evidence_ref, command.by
    _record(state, command, now, "record_signature", f"{agreement.agreement_id} signed on {command.signed_on} "
            f"({command.evidence_ref}): the debt acknowledged")  # fmt: skip
    finish_work(state, f"{agreement.agreement_id}-chase", command.by, f"signed copy received ({command.evidence_ref})",
                now)  # fmt: skip
    plan = state.installment_plan
    if plan is not None and plan.plan_id == agreement.ref and plan.state == "awaiting_signature":
        state.accrue(now)
        plan.state = "active"
        state.log(now, "event", f"plan {plan.plan_id} in force: its agreement is signed")
