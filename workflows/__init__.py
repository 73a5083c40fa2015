"""Contracts of the collection workflow: task queue, ids, message names, search attributes."""

from temporalio.common import SearchAttributeKey

TASK_QUEUE = "collections"
WORKFLOW_TYPE = "CollectionWorkflow"

# Message names (DESIGN.md contracts). INVOICE_OVERDUE carries every invoice event (invoice.overdue, invoice.issued,
# invoice.due_soon: the name recorded histories use); BILLING_EVENT invoice.paid and invoice.cancelled.
INVOICE_OVERDUE = "invoice_overdue"
BILLING_EVENT = "billing_event"
PAYMENT_RECEIVED = "payment_received"
STATUS = "status"
EVENT_OUTCOME = "event_outcome"
MESSAGE_DIGEST = "message_digest"
# Updates (validated, answered with the new status) and signals (facts) that re-route an account.
PROMISE_TO_PAY = "promise_to_pay"
AGREE_INSTALLMENT_PLAN = "agree_installment_plan"
OPEN_DISPUTE = "open_dispute"
RESOLVE_DISPUTE = "resolve_dispute"
UPDATE_CONTACT = "update_contact"
PAUSE = "pause"
RESUME = "resume"
WRITE_OFF = "write_off"
CEASE_COMMUNICATION = "cease_communication"
OVERRIDE_LIMITATION = "override_limitation"
MIGRATE_POLICY = "migrate_policy"
RECORD_CONTACT = "record_contact"
COMPLETE_TASK = "complete_task"
CONFIRM_BALANCE = "confirm_balance"
CONFIRM_LAWYER_LETTER = "confirm_lawyer_letter"
OFFER_SETTLEMENT = "offer_settlement"
RECORD_SIGNATURE = "record_signature"
PLACE_WITH_AGENCY = "place_with_agency"
RECALL_FROM_AGENCY = "recall_from_agency"
AGENCY_REPORT = "agency_report"
AGENCY_COMPLAINT = "agency_complaint"

# After this many consecutive failed workflow tasks Temporal flags an account as stuck (`TemporalReportedProblems`,
# server 1.30+; its default is 5): our dev server and the compose stack set it (book.py lists them).
STUCK_AFTER_FAILURES = 2

# A collection workflow continues as new after this many history events (or when Temporal suggests it).
HISTORY_EVENTS_PER_RUN = 5000
APPROVE_ACTION = "approve_action"
REJECT_ACTION = "reject_action"
REPORT_BANKRUPTCY = "report_bankruptcy"
CONTACT_OUTCOME = "contact_outcome"
LEGAL_OUTCOME = "legal_outcome"
LEGAL_CASE_PROGRESS = "legal_case_progress"  # from a case's workflow to its account's

# The legal case, a workflow of its own from rules 10 (workflows.legal_case), started by its account's.
LEGAL_CASE_TYPE = "LegalCaseWorkflow"
RECORD_CASE_STEP = "record_case_step"
ACCOUNT_CLOSED = "account_closed"
CASE_STATUS = "case_status"
LETTER_DELIVERY = "letter_delivery"

# Custom search attributes: supervisors filter the book by these in Temporal visibility.
STAGE = SearchAttributeKey.for_keyword("CollectionStage")
OUTSTANDING = SearchAttributeKey.for_float("CollectionOutstanding")
DAYS_PAST_DUE = SearchAttributeKey.for_int("CollectionDaysPastDue")
SEGMENT = SearchAttributeKey.for_keyword("CollectionSegment")
ACCOUNT_ID = SearchAttributeKey.for_keyword("CollectionAccountId")
# Days past due at the last plan goes stale while an account sleeps: lists and aging compute it at query time
# from the oldest unpaid due date instead.
OLDEST_DUE = SearchAttributeKey.for_datetime("CollectionOldestDue")
CURRENCY = SearchAttributeKey.for_keyword("CollectionCurrency")
PENDING_APPROVAL = SearchAttributeKey.for_bool("CollectionPendingApproval")
ARM = SearchAttributeKey.for_keyword("CollectionArm")  # the experiment arm (arms.py), on accounts assigned one
SEARCH_ATTRIBUTES = (STAGE, OUTSTANDING, DAYS_PAST_DUE, SEGMENT, ACCOUNT_ID, OLDEST_DUE, CURRENCY, PENDING_APPROVAL,
                     ARM)  # fmt: skip


WORKFLOW_ID_PREFIX = "collection-"


def workflow_id(account_id: str) -> str:
    return f"{WORKFLOW_ID_PREFIX}{account_id}"


def case_workflow_id(case_id: str) -> str:
    return f"legal-{case_id}"
