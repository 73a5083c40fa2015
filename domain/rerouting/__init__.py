"""Re-routing: what each command or fact does to an account, and what time alone decides.

For every update there is a `check_*` (the validator: raises CommandRejected, changes nothing) and an
`apply_*` (the effect, recorded in the history). Commands are idempotent by `command_id`: a repeat is a
no-op that passes the check; the same id with other content is a conflict (`conflict`), refused by the validators
and, for signals, recorded as refused. `settle(state, now)` applies what time decides (a promise falls due, an
installment is missed, a pause ends, an approval escalates) and keeps the ladder's held-days account.

One module a concern: common (refusals, idempotency, the record), promises, installment_plans, disputes, approvals,
contact, holds, closing (write-off, bankruptcy, legal outcome), rule_changes (policy migration, limitation override),
work (calls and visits people make, tasks done), confirmation (the debtor's answer to the balance confirmation letter),
billing (invoice.paid and invoice.cancelled from the billing system), delivery (letters posted, delivered, returned),
firms (a law firm's answer to the draft of a lawyer's letter), legal_case (the news of a case's workflow),
settlements (offers that waive interest, fees or principal), placements (with collection agencies), agreements (a
repayment agreement's signature), settle."""

from domain.rerouting.agreements import apply_signature, check_signature
from domain.rerouting.approvals import apply_decision, check_decision
from domain.rerouting.billing import apply_billing_event
from domain.rerouting.closing import apply_bankruptcy, apply_legal_outcome, apply_write_off, check_write_off
from domain.rerouting.common import (
    CommandConflict,
    CommandForbidden,
    CommandRejected,
    check_acceptable,
    check_open,
    refusal,
    refuse_signal,
    seen,
)
from domain.rerouting.confirmation import apply_confirm_balance, check_confirm_balance
from domain.rerouting.contact import (
    apply_cease,
    apply_contact_outcome,
    apply_provider_refusal,
    apply_update_contact,
    check_cease,
    check_update_contact,
)
from domain.rerouting.delivery import apply_letter_delivery
from domain.rerouting.disputes import apply_dispute, apply_resolution, check_dispute, check_resolution
from domain.rerouting.firms import apply_confirm_lawyer_letter, check_confirm_lawyer_letter
from domain.rerouting.holds import apply_pause, apply_resume, check_pause, check_resume
from domain.rerouting.installment_plans import apply_installment_plan, check_installment_plan
from domain.rerouting.legal_case import apply_case_progress, open_case
from domain.rerouting.placements import (
    apply_agency_report,
    apply_complaint,
    apply_placement,
    apply_recall,
    check_agency_report,
    check_complaint,
    check_placement,
    check_recall,
    credit_agency,
)
from domain.rerouting.promises import apply_promise, check_promise
from domain.rerouting.rule_changes import apply_migrate, apply_override, check_migrate
from domain.rerouting.settle import settle
from domain.rerouting.settlements import apply_settlement, check_settlement
from domain.rerouting.work import apply_complete_task, apply_record_contact, check_complete_task, check_record_contact

__all__ = [
    "CommandConflict",
    "CommandForbidden",
    "CommandRejected",
    "apply_agency_report",
    "apply_bankruptcy",
    "apply_billing_event",
    "apply_case_progress",
    "apply_cease",
    "apply_complaint",
    "apply_complete_task",
    "apply_confirm_balance",
    "apply_confirm_lawyer_letter",
    "apply_contact_outcome",
    "apply_decision",
    "apply_dispute",
    "apply_installment_plan",
    "apply_legal_outcome",
    "apply_letter_delivery",
    "apply_migrate",
    "apply_override",
    "apply_pause",
    "apply_placement",
    "apply_promise",
    "apply_provider_refusal",
    "apply_recall",
    "apply_record_contact",
    "apply_resolution",
    "apply_resume",
    "apply_settlement",
    "apply_signature",
    "apply_update_contact",
    "apply_write_off",
    "check_acceptable",
    "check_agency_report",
    "check_cease",
    "check_complaint",
    "check_complete_task",
    "check_confirm_balance",
    "check_confirm_lawyer_letter",
    "check_decision",
    "check_dispute",
    "check_installment_plan",
    "check_migrate",
    "check_open",
    "check_pause",
    "check_placement",
    "check_promise",
    "check_recall",
    "check_record_contact",
    "check_resolution",
    "check_resume",
    "check_settlement",
    "check_signature",
    "check_update_contact",
    "check_write_off",
    "credit_agency",
    "open_case",
    "refusal",
    "refuse_signal",
    "seen",
    "settle",
]
