"""Every kind of action, declared once: `KINDS` says what each produces and whom it reaches, and every rule that
asks about a kind (the planner's contact rules, the caps, the workflow's contact outcomes, the activities and
their registration) reads it from there. A new kind is one `ActionKind` member and one `KINDS` row, then its
templates and the policy lines that use it (docs/architecture.md)."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class ActionKind(StrEnum):
    """What a ladder step does. The value is the name of the activity that does it (recorded histories name it)."""

    SMS = "send_sms"
    EMAIL = "send_email"
    DEMAND_LETTER = "send_demand_letter"
    CALL_TASK = "create_call_task"
    VISIT_TASK = "create_visit_task"
    ESCALATION = "escalate_to_manager"
    FINAL_NOTICE = "send_final_notice"
    LAWYER_LETTER = "issue_lawyer_letter"
    LITIGATION = "open_litigation_task"
    LOCK_ORDERS = "lock_new_orders"
    CONFIRMATION_LETTER = "send_confirmation_letter"  # before the due date: the debtor confirms the balance
    # Side actions: not ladder steps, but caused by events (disputes, approvals, plans, lost contact).
    APPROVAL_REQUEST = "request_approval"
    DISPUTE_REVIEW = "create_dispute_review_task"
    SUPERVISOR_REMINDER = "remind_supervisor"
    CLAIM_FILING = "open_claim_filing_task"
    SKIP_TRACE = "create_skip_trace_task"
    INSTALLMENT_SMS = "send_installment_sms"
    INSTALLMENT_EMAIL = "send_installment_email"
    TASK_OVERDUE = "notify_overdue_task"
    SETTLEMENT_OFFER = "send_settlement_offer"  # an approved settlement, in writing to the debtor
    LAWYER_LETTER_DRAFT = "send_lawyer_letter_draft"  # to the law firm, through legal: it issues the letter (7)
    REPAYMENT_AGREEMENT = "send_repayment_agreement"  # a plan or a large promise in writing, for signature (8)
    AGREEMENT_REMINDER = "send_agreement_reminder"
    AGREEMENT_CHASE = "create_agreement_task"
    AGENCY_PLACEMENT = "place_with_agency"  # the account handed to a collection agency, with its package


Output = Literal["sms", "email", "letter", "task"]


@dataclass(frozen=True)
class Kind:
    """What one kind of action is.

    `output` decides how the activity renders and delivers it: its template family (templates/sms, email, letters,
    tasks) and its sender (the SMS provider, SMTP, the print queue, the store's task list; the file channel when
    none is configured)."""

    output: Output
    debtor: bool = False  # reaches the debtor: never while bankrupt, paused, ceased or disputing the whole balance
    needs: Literal["phone", "email", "address"] | None = None  # the detail it cannot go without (skipped otherwise)
    window: str | None = None  # the policy's contact window and caps that govern it (sms, email, call, visit)
    remote: bool = False  # by phone or email: skipped while contact is lost (letters still go out)
    assignee: str | None = None  # who works the task (side actions name theirs in the request)
    task: str | None = None  # the task's kind in the store
    work: bool = False  # a person's task followed until done: escalated when overdue (rules 3)


KINDS: dict[ActionKind, Kind] = {
    ActionKind.SMS: Kind("sms", debtor=True, needs="phone", window="sms", remote=True),
    ActionKind.EMAIL: Kind("email", debtor=True, needs="email", window="email", remote=True),
    ActionKind.DEMAND_LETTER: Kind("letter", debtor=True, needs="address"),
    ActionKind.CALL_TASK: Kind("task", debtor=True, window="call", remote=True, assignee="collector",
                               task="collector_call", work=True),
    ActionKind.VISIT_TASK: Kind("task", debtor=True, window="visit", assignee="field_collector", task="visit",
                                work=True),
    ActionKind.ESCALATION: Kind("task", assignee="collections_manager", task="manager_escalation", work=True),
    ActionKind.FINAL_NOTICE: Kind("letter", debtor=True, needs="address"),
    ActionKind.LAWYER_LETTER: Kind("letter", debtor=True, needs="address"),
    ActionKind.LITIGATION: Kind("task", assignee="legal", task="litigation"),
    ActionKind.LOCK_ORDERS: Kind("task", assignee="sales_operations", task="order_lock", work=True),
    ActionKind.CONFIRMATION_LETTER: Kind("letter", debtor=True, needs="address"),
    ActionKind.APPROVAL_REQUEST: Kind("task", task="approval_request"),
    ActionKind.DISPUTE_REVIEW: Kind("task", task="dispute_review"),  # followed by its own reminders
    ActionKind.SUPERVISOR_REMINDER: Kind("task", task="supervisor_reminder"),
    ActionKind.CLAIM_FILING: Kind("task", task="claim_filing"),
    ActionKind.SKIP_TRACE: Kind("task", task="skip_trace", work=True),
    ActionKind.INSTALLMENT_SMS: Kind("sms", debtor=True, needs="phone", window="sms"),
    ActionKind.INSTALLMENT_EMAIL: Kind("email", debtor=True, needs="email", window="email"),
    ActionKind.TASK_OVERDUE: Kind("task", task="overdue_task"),
    ActionKind.SETTLEMENT_OFFER: Kind("letter", debtor=True, needs="address"),
    ActionKind.REPAYMENT_AGREEMENT: Kind("letter", debtor=True, needs="address"),
    ActionKind.AGREEMENT_REMINDER: Kind("email", debtor=True, needs="email", window="email"),
    ActionKind.AGREEMENT_CHASE: Kind("task", assignee="collector", task="agreement_signature", work=True),
    ActionKind.LAWYER_LETTER_DRAFT: Kind("task", assignee="legal", task="lawyer_letter_draft", work=True),
    ActionKind.AGENCY_PLACEMENT: Kind("task", assignee="agency", task="agency_placement"),
}  # fmt: skip

# The questions the rules ask, answered from the table.
DEBTOR_CONTACT = frozenset(k for k, kind in KINDS.items() if kind.debtor)
CONTACT_NEEDS = {k: kind.needs for k, kind in KINDS.items() if kind.needs}
WINDOW_OF_ACTION = {k: kind.window for k, kind in KINDS.items() if kind.window}
REMOTE_CONTACT = frozenset(k for k, kind in KINDS.items() if kind.remote)
WORK = frozenset(k for k, kind in KINDS.items() if kind.work)
# Done by the worker within the workflow task (a local activity: no round trip through the server's queue): what
# only writes our own store, a staff task. Never a send to the outside, nor a PDF rendered (it waits behind letters).
LOCAL = frozenset(k for k, kind in KINDS.items() if kind.output == "task") - {ActionKind.LAWYER_LETTER_DRAFT}
