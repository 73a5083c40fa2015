"""Written repayment agreements 還款協議, from rules 8 (seeds 000 and 003: 「以書面形式確認…由雙方簽字確認」
「還款協議需經雙方簽字蓋章」). An installment plan, and a promise at or above the policy's `[agreements]
promise_threshold`, produce an agreement sent to the debtor by letter for signature: the debt acknowledged, the terms,
what default means, a signature block for each party. The signed copy's return is recorded (`record_signature`: the
date and the scan's reference), and the signature, an acknowledgement of the debt, restarts the limitation period.
Unsigned after `remind_after_days`: an email reminder; after `task_after_days`: a collector's task to chase it. With
`in_force = "on_signature"` a plan takes effect (holds the ladder, counts its installments) only once signed."""

from datetime import datetime, timedelta

from domain.account import AccountState
from domain.arrangements import Agreement, InstallmentPlan
from domain.kinds import ActionKind
from domain.policy import Step


def open_agreement(state: AccountState, about: str, ref: str, now: datetime) -> Agreement | None:
    """The agreement an arrangement needs from rules 8, recorded (None before rules 8)."""
    if state.rules < 8:
        return None
    agreement = Agreement.model_validate({"agreement_id": f"agreement-{ref}", "about": about, "ref": ref,
                                          "created_at": now})  # fmt: skip
    state.agreements.append(agreement)
    state.log(now, "event", f"{agreement.agreement_id}: the {about.replace('_', ' ')} {ref} goes to the debtor in "
                            "writing, for signature")  # fmt: skip
    return agreement


Due = tuple[Step, datetime, dict[str, str]]  # a side action (domain.side_actions): its step, when, its details


def agreement_actions(state: AccountState) -> list[Due]:
    """The letter of each agreement; while one stays unsigned and its arrangement stands, the reminder and the task."""
    rules, clock = state.policy.agreements, state.clock()
    actions: list[Due] = []
    for agreement in state.agreements:
        sent_on = clock.local_day(agreement.created_at).isoformat()
        about = {"agreement_id": agreement.agreement_id, "about": agreement.about, "sent_on": sent_on,
                 "grace_days": str(_grace_days(state, agreement)), "sign_within_days": str(rules.remind_after_days),
                 "remind_after_days": str(rules.remind_after_days)} | _promise_terms(state, agreement)  # fmt: skip
        letter = Step(day=0, action=ActionKind.REPAYMENT_AGREEMENT, template="repayment_agreement",
                      id=agreement.agreement_id)  # fmt: skip
        actions.append((letter, agreement.created_at, about))
        if agreement.state != "awaiting_signature" or not _stands(state, agreement):
            continue
        for action, template, days, suffix in (
            (ActionKind.AGREEMENT_REMINDER, "agreement_reminder", rules.remind_after_days, "reminder"),
            (ActionKind.AGREEMENT_CHASE, "agreement_signature", rules.task_after_days, "chase"),
        ):
            step = Step(day=0, action=action, template=template, id=f"{agreement.agreement_id}-{suffix}")
            at = agreement.created_at + timedelta(days=days)
            actions.append((step, at, about | ({"assignee_role": "collector"} if suffix == "chase" else {})))
    return actions


def agreed_plan(state: AccountState, step: Step, details: dict[str, str]) -> InstallmentPlan | None:
    """The plan an agreement's letter puts in writing (its request carries it), if the step is that letter."""
    plan = state.installment_plan
    if step.action is not ActionKind.REPAYMENT_AGREEMENT or plan is None:
        return None
    return plan if details.get("agreement_id") == f"agreement-{plan.plan_id}" else None


def _stands(state: AccountState, agreement: Agreement) -> bool:
    """Its arrangement still runs: a plan not over, a promise not yet judged."""
    if agreement.about == "installment_plan":
        plan = state.installment_plan
        return plan is not None and plan.plan_id == agreement.ref and plan.state in ("awaiting_signature", "active")
    return any(p.promise_id == agreement.ref and p.state == "open" for p in state.promises)


def _grace_days(state: AccountState, agreement: Agreement) -> int:
    rules = state.policy
    return rules.installments.grace_days if agreement.about == "installment_plan" else rules.promises.grace_days


def _promise_terms(state: AccountState, agreement: Agreement) -> dict[str, str]:
    promise = next((p for p in state.promises if p.promise_id == agreement.ref), None)
    if agreement.about != "promise" or promise is None:
        return {}
    return {"promise_amount": str(promise.amount), "promise_currency": promise.currency,
            "promise_date": promise.promised_date.isoformat()}  # fmt: skip
