"""The account operations: every update and signal of CollectionWorkflow that people send, declared once.

Each names its handler (`CollectionWorkflow.promise_to_pay`: whether it is an update or a signal, and its message
name, follow from it), its command model, the roles that may send it (`edge.identity`: collectors and leads work
accounts, leads decide), its command-line shape (`starter.py NAME ...`) and its HTTP route
(`POST /v1/accounts/{account_id}/ROUTE`), and whether the dashboard has a form for it.
`starter.py`, `api/commands.py` and `api/dashboard/` are generated from this table, and send through
`edge.client.send`: a new command is one row here, its model and its rule (docs/architecture.md)."""

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, get_args

from temporalio import workflow

from domain.agency_commands import AgencyComplaint, PlaceWithAgency, RecallFromAgency
from domain.commands import (
    AgreeInstallmentPlan,
    ApprovalDecision,
    CallResult,
    CeaseCommunication,
    Command,
    CompleteTask,
    ConfirmBalance,
    ConfirmLawyerLetter,
    ContactOutcome,
    ContactResult,
    LegalOutcome,
    LetterDelivery,
    MigratePolicy,
    OfferSettlement,
    OpenDispute,
    OverrideLimitation,
    Pause,
    PromiseToPay,
    RecordContact,
    RecordSignature,
    ReportBankruptcy,
    ResolveDispute,
    Resume,
    UpdateContact,
    VisitResult,
    WriteOff,
)
from domain.policy_book import PolicyBook
from edge.identity import LEADS, LEGAL, OPS, STAFF
from settings import Settings
from workflows.collection import CollectionWorkflow


def _address(a: argparse.Namespace) -> dict[str, Any] | None:
    """The postal address given by `--address-line` and its fellows, or None when none of them is."""
    parts = {"lines": a.address_line, "city": a.city, "region": a.region, "postcode": a.postcode,
             "country": a.country, "recipient": a.recipient}  # fmt: skip
    return {k: v for k, v in parts.items() if v not in (None, (), [])} or None  # a repeatable option's default: ()


class Arg(NamedTuple):
    """One add_argument call."""

    flags: tuple[str, ...]
    options: dict[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


class OneOf(NamedTuple):
    """Arguments of which exactly one must be given."""

    args: tuple[Arg, ...]


@dataclass(frozen=True)
class Operation:
    """One command. `fields` builds the model's fields from the command line's arguments (None: the model's
    default) besides `command_id` and the identity's (`by`: `edge.identity.IDENTITY_FIELDS`), and may raise
    ValueError for an argument it cannot read. `roles` may send it (by default the leads). `route` is
    under /v1/accounts/{account_id}/ (None: no HTTP route); a `{field}` in it is the model's field of that name.
    `now_fields` are datetimes that default to now at the edge. `form`: the dashboard draws a form for it;
    `confirm`: irreversible, the form asks to tick a box."""

    handler: Callable[..., Any]
    model: type[Command]
    fields: Callable[[argparse.Namespace], dict[str, Any]]
    help: str
    arguments: tuple[Arg | OneOf, ...] = ()
    route: str | None = None
    now_fields: tuple[str, ...] = ()
    roles: tuple[str, ...] = LEADS
    form: bool = False
    confirm: bool = False

    @property
    def kind(self) -> Literal["update", "signal"]:
        return "update" if isinstance(self.handler, workflow.UpdateMethodMultiParam) else "signal"

    @property
    def message(self) -> str:
        """The workflow message's name: the handler's (CollectionWorkflow names each handler as its message)."""
        return self.handler.__name__

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in (self.route or "").split("/") if part.startswith("{"))


def choices(model: type[Command], name: str) -> tuple[str, ...]:
    """The values of a Literal field, so that --help lists them and argparse checks them."""
    return get_args(model.model_fields[name].annotation)


def installment(text: str) -> dict[str, str]:
    amount, colon, due_date = text.partition(":")
    if not (colon and amount and due_date):
        raise ValueError(f"installment {text[:40]!r}: expected AMOUNT:DATE such as 4000.00:2026-12-01")
    return {"amount": amount, "due_date": due_date}


def promise(text: str) -> dict[str, str]:
    parts = text.split(":")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"promise {text[:40]!r}: expected AMOUNT:CURRENCY:DATE such as 5000.00:CNY:2026-12-20")
    return dict(zip(("amount", "currency", "promised_date"), parts, strict=True))


def agreed_in_contact(a: argparse.Namespace) -> dict[str, Any]:
    """What the debtor agreed to in a call or visit, from record-contact's options: a promise, a plan, a dispute."""
    if a.plan_currency and not a.installment:
        raise ValueError("--plan-currency needs its installments (--installment AMOUNT:DATE, repeated)")
    return {
        "promise": promise(a.promise) if a.promise else None,
        "plan": {"currency": a.plan_currency, "installments": [installment(t) for t in a.installment or ()]}
        if a.plan_currency else None,
        "dispute": {"reason": a.dispute, "invoice_ids": a.invoice or []} if a.dispute else None,
    }  # fmt: skip


AMOUNT_HELP = 'a decimal string such as "5000.00"'
REASON = arg("--reason", required=True, help="why (recorded in the account's history)")
NOTE = arg("--note", help="free text for the history")
STEP = arg("step", help="the policy step awaiting approval, as in `status` (for example d091-issue_lawyer_letter)")

OPERATIONS: dict[str, Operation] = {
    "promise": Operation(
        CollectionWorkflow.promise_to_pay, PromiseToPay,
        lambda a: {"amount": a.amount, "currency": a.currency, "promised_date": a.date},
        "the debtor promises an amount by a date",
        (arg("--amount", required=True, help=AMOUNT_HELP), arg("--currency", required=True),
         arg("--date", required=True, help="the promised date, YYYY-MM-DD (the debtor's calendar)")),
        route="promises", roles=STAFF, form=True,
    ),
    "plan": Operation(
        CollectionWorkflow.agree_installment_plan, AgreeInstallmentPlan,
        lambda a: {"currency": a.currency, "installments": [installment(t) for t in a.installment],
                   "down_payment": a.down_payment, "fee": a.fee, "interest_free": a.interest_free,
                   "daily_rate": a.daily_rate},
        "the balance paid in installments (seed 001's terms: a down payment, a fee, interest after free installments)",
        (arg("--currency", required=True),
         arg("--installment", required=True, action="append", metavar="AMOUNT:DATE",
             help="one installment, such as 4000.00:2026-12-01; repeat for each, in date order"),
         arg("--down-payment", action="store_true", help="the first installment is a down payment"),
         arg("--fee", metavar="AMOUNT", help="a plan fee, paid with the first installment"),
         arg("--interest-free", metavar="N", help="the first N installments carry no interest (with --daily-rate)"),
         arg("--daily-rate", metavar="RATE", help="interest a day on the principal owed after them, such as 0.0002")),
        route="installment-plans", roles=STAFF,
    ),
    "dispute": Operation(
        CollectionWorkflow.open_dispute, OpenDispute,
        lambda a: {"reason": a.reason, "invoice_ids": a.invoice},
        "the debtor contests invoices (none named: the whole balance); the dispute's id is the command id",
        (REASON, arg("--invoice", action="append", metavar="INVOICE_ID", help="a disputed invoice; repeatable")),
        route="disputes", roles=STAFF,
    ),
    "resolve-dispute": Operation(
        CollectionWorkflow.resolve_dispute, ResolveDispute,
        lambda a: {"dispute_id": a.dispute_id, "resolution": a.resolution, "adjustment": a.adjustment,
                   "note": a.note},
        "upheld: cancel the disputed amount (or reduce it by --adjustment); rejected: collection resumes",
        (arg("dispute_id", metavar="DISPUTE_ID", help="the id the `dispute` command was accepted with"),
         OneOf((arg("--upheld", dest="resolution", action="store_const", const="upheld"),
                arg("--rejected", dest="resolution", action="store_const", const="rejected"))),
         arg("--adjustment", help="upheld: reduce by this much instead of cancelling, " + AMOUNT_HELP), NOTE),
        route="disputes/{dispute_id}/resolution",
    ),
    "confirm-balance": Operation(
        CollectionWorkflow.confirm_balance, ConfirmBalance,
        lambda a: {"answer": a.answer, "reason": a.reason, "invoice_ids": a.invoice or [], "evidence_ref": a.evidence,
                   "note": a.note},
        "the debtor's answer to the balance confirmation letter: confirmed (an acknowledgement of the debt), or "
        "rejected with the reason (a dispute on the invoices named, none: the whole balance)",
        (OneOf((arg("--confirmed", dest="answer", action="store_const", const="confirmed"),
                arg("--rejected", dest="answer", action="store_const", const="rejected"))),
         arg("--reason", help="what the debtor contests (required with --rejected)"),
         arg("--invoice", action="append", metavar="INVOICE_ID", help="a contested invoice; repeatable"),
         arg("--evidence", help="the signed confirmation's reference"), NOTE),
        route="balance-confirmation", roles=STAFF, form=True,
    ),
    "update-contact": Operation(
        CollectionWorkflow.update_contact, UpdateContact,
        lambda a: {"phone": a.phone, "email": a.email, "address": _address(a)},
        "new contact details (a phone or email ends lost contact); an address is where letters go",
        (arg("--phone", help="E.164, such as +8613800000000"), arg("--email"),
         arg("--address-line", action="append", metavar="LINE", help="street, building, floor; repeatable (1 to 4)"),
         arg("--city"), arg("--region", help="province or state"), arg("--postcode"),
         arg("--country", help="ISO 3166 alpha-2, such as CN"),
         arg("--recipient", help="an attention line on the address: a department or a person")),
        route="contact", roles=STAFF,
    ),
    "pause": Operation(
        CollectionWorkflow.pause, Pause,
        lambda a: {"reason": a.reason, "until": a.until},
        "stop all contact until a time",
        (REASON, arg("--until", required=True, help="ISO 8601 with timezone, such as 2026-12-01T00:00:00+08:00")),
        route="pause", form=True,
    ),
    "resume": Operation(
        CollectionWorkflow.resume, Resume,
        lambda a: {"reason": a.reason},
        "end a pause now",
        (arg("--reason", help="why (recorded in the account's history)"),),
        route="resume", form=True,
    ),
    "cease-communication": Operation(
        CollectionWorkflow.cease_communication, CeaseCommunication,
        lambda a: {"reason": a.reason},
        "the debtor asks us to stop contacting them: no SMS, email, letter, call or visit from now on",
        (REASON,),
        route="cease-communication",
    ),
    "override-limitation": Operation(
        CollectionWorkflow.override_limitation, OverrideLimitation,
        lambda a: {"reason": a.reason},
        "allow legal action on a time-barred debt (a supervisor's decision, with its reason)",
        (REASON,),
        route="override-limitation",
    ),
    "migrate-policy": Operation(
        CollectionWorkflow.migrate_policy, MigratePolicy,
        lambda a: {"policy": PolicyBook(Settings.from_env().policy_dir).by_name(a.policy), "reason": a.reason,
                   "mapping": "restart_at_stage" if a.restart_at else "keep_day", "stage": a.restart_at},
        "move the account to the current version of a policy (policies/*.toml), keeping its day or restarting a stage",
        (arg("--policy", required=True, help="the policy's name, for example standard"),
         arg("--restart-at", help="restart the ladder at this stage of the new policy (default: keep the day)"),
         REASON),
    ),
    "write-off": Operation(
        CollectionWorkflow.write_off, WriteOff,
        lambda a: {"reason": a.reason},
        "close the account as written off",
        (REASON,),
        route="write-off", form=True, confirm=True,
    ),
    "approve": Operation(
        CollectionWorkflow.approve_action, ApprovalDecision,
        lambda a: {"step": a.step, "reason": a.reason},
        "approve a step that waits for approval",
        (STEP, REASON),
        route="approvals/{step}/approve", form=True,
    ),
    "reject": Operation(
        CollectionWorkflow.reject_action, ApprovalDecision,
        lambda a: {"step": a.step, "reason": a.reason},
        "reject a step that waits for approval (the ladder stays below its stage)",
        (STEP, REASON),
        route="approvals/{step}/reject", form=True,
    ),
    "bankruptcy": Operation(
        CollectionWorkflow.report_bankruptcy, ReportBankruptcy,
        lambda a: {"case_reference": a.case_reference, "note": a.note},
        "the debtor is bankrupt: contact stops, the claim goes to legal, the account closes",
        (arg("--case-reference", help="the court's case reference"), NOTE),
        route="bankruptcy",
    ),
    "contact-outcome": Operation(
        CollectionWorkflow.contact_outcome, ContactOutcome,
        lambda a: {"channel": a.channel, "result": a.result, "at": a.at or datetime.now(UTC)},
        "what happened when we tried to reach the debtor",
        (arg("--channel", required=True, choices=choices(ContactOutcome, "channel")),
         arg("--result", required=True, choices=get_args(ContactResult)),
         arg("--at", help="when, ISO 8601 with timezone (default: now)")),
        route="contact-outcomes", now_fields=("at",), roles=STAFF,
    ),
    "record-contact": Operation(
        CollectionWorkflow.record_contact, RecordContact,
        lambda a: {"channel": a.channel, "result": a.result, "at": a.at or datetime.now(UTC),
                   "duration_minutes": a.minutes, "notes": a.notes or "", "agreed": a.agreed or "",
                   "evidence_ref": a.evidence, "task": a.task, "callback_at": a.callback} | agreed_in_contact(a),
        "a call or visit you made, as evidence (refused outside the contact hours or over the day's caps), with what "
        "the debtor agreed to in it",
        (arg("--channel", required=True, choices=choices(RecordContact, "channel")),
         arg("--result", required=True, choices=get_args(CallResult) + get_args(VisitResult)),
         arg("--at", help="when, ISO 8601 with timezone (default: now)"),
         arg("--minutes", type=int, help="how long it lasted"), arg("--notes", help="what was said"),
         arg("--agreed", help="what was agreed, in words (a visit's minutes)"),
         arg("--evidence", help="the recording's or photo's reference"),
         arg("--task", help="the task this contact works (its step, as `status` lists it)"),
         arg("--promise", metavar="AMOUNT:CURRENCY:DATE", help="the debtor promised to pay"),
         arg("--plan-currency", help="the debtor agreed an installment plan in this currency (with --installment)"),
         arg("--installment", action="append", metavar="AMOUNT:DATE", help="one installment of the plan; repeat"),
         arg("--dispute", metavar="REASON", help="the debtor disputes the debt (with --invoice, or the whole balance)"),
         arg("--invoice", action="append", metavar="INVOICE_ID", help="a disputed invoice; repeatable"),
         arg("--callback", help="the debtor asked to be called back then (ISO 8601 with timezone)")),
        route="contacts", now_fields=("at",), roles=STAFF, form=True,
    ),
    "complete-task": Operation(
        CollectionWorkflow.complete_task, CompleteTask,
        lambda a: {"task": a.task, "outcome": a.outcome, "note": a.note},
        "a task is done (an escalation decided, orders locked, the debtor traced), with its outcome",
        (arg("task", metavar="TASK", help="the task's step, as `status` lists it"),
         arg("--outcome", required=True, help="what was done or decided"), NOTE),
        route="tasks/{task}/completion", roles=(*STAFF, LEGAL, OPS), form=True,
    ),
    "letter-delivery": Operation(
        CollectionWorkflow.letter_delivery, LetterDelivery,
        lambda a: {"event": a.event, "tracking_number": a.tracking, "step": a.step, "at": a.at or datetime.now(UTC),
                   "proof_ref": a.proof, "reason": a.reason},
        "a letter posted under a tracking number (the mailroom), or delivered or returned (the courier)",
        (arg("--event", required=True, choices=choices(LetterDelivery, "event")),
         arg("--tracking", required=True, metavar="NUMBER", help="the courier's tracking number"),
         arg("--step", help="the letter's step, such as d031-send_demand_letter (its first report must name it)"),
         arg("--at", help="when, ISO 8601 with timezone (default: now)"),
         arg("--proof", metavar="REF", help="the courier's proof of delivery (a signature scan's reference)"),
         arg("--reason", help="why it came back")),
        route="letters", now_fields=("at",), roles=(OPS, *STAFF), form=True,
    ),
    "settle": Operation(
        CollectionWorkflow.offer_settlement, OfferSettlement,
        lambda a: {"currency": a.currency, "waive_interest": a.waive_interest, "waive_fees": a.waive_fees,
                   "settle_for": a.settle_for, "expires_on": a.expires_on, "reason": a.reason},
        "offer a settlement of one currency's balance, paid by a date: waive the interest, the fees, or settle for an "
        "amount; it waits for approval by the matrix for the amount given up, then goes to the debtor by letter",
        (arg("--currency", required=True), arg("--waive-interest", action="store_true"),
         arg("--waive-fees", action="store_true"),
         arg("--settle-for", metavar="AMOUNT", help="what the debtor pays in full settlement (a discount)"),
         arg("--expires-on", required=True, metavar="YYYY-MM-DD", help="the debtor's last day to pay"), REASON),
        route="settlements", roles=STAFF, form=True,
    ),
    "record-signature": Operation(
        CollectionWorkflow.record_signature, RecordSignature,
        lambda a: {"agreement_id": a.agreement_id, "signed_on": a.signed_on, "evidence_ref": a.evidence},
        "the debtor's signed copy of a repayment agreement came back: an acknowledgement of the debt (the limitation "
        "period restarts); a plan waiting for it takes effect",
        (arg("agreement_id", metavar="AGREEMENT_ID", help="as `status` lists it, such as agreement-cli-1a2b3c"),
         arg("--signed-on", required=True, metavar="YYYY-MM-DD", help="the date the debtor signed"),
         arg("--evidence", required=True, metavar="REF", help="the signed copy's reference (a scan, a post receipt)")),
        route="agreements/{agreement_id}/signature", roles=(OPS, *STAFF), form=True,
    ),
    "confirm-lawyer-letter": Operation(
        CollectionWorkflow.confirm_lawyer_letter, ConfirmLawyerLetter,
        lambda a: {"step": a.step, "answer": a.answer, "lawyer": a.lawyer, "licence": a.licence,
                   "issued_on": a.issued_on, "firm_reference": a.firm_reference, "reason": a.reason},
        "the law firm's answer to the lawyer's letter drafted for it: issued (signed by the lawyer named, on the date "
        "it bears: then it goes to the debtor under the firm's name), or declined with the reason",
        (arg("step", metavar="STEP", help="the lawyer's letter step, such as d091-issue_lawyer_letter"),
         OneOf((arg("--issued", dest="answer", action="store_const", const="issued"),
                arg("--declined", dest="answer", action="store_const", const="declined"))),
         arg("--lawyer", help="who signed it (with --issued)"), arg("--licence", help="the lawyer's licence number"),
         arg("--issued-on", metavar="YYYY-MM-DD", help="the date the letter bears"),
         arg("--firm-reference", metavar="REF", help="the firm's file reference"),
         arg("--reason", help="why the firm declines (with --declined)")),
        route="lawyer-letters/{step}", roles=(LEGAL, *LEADS), form=True,
    ),
    "place": Operation(
        CollectionWorkflow.place_with_agency, PlaceWithAgency,
        lambda a: {"agency_id": a.agency, "reason": a.reason},
        "place the account with a collection agency of its policy (policies/agencies/): it waits for approval by the "
        "matrix, then the agency gets the account and its package, and our own contact stops until it is recalled",
        (arg("--agency", required=True, help="the agency's id, such as example-agency"), REASON),
        route="placements", form=True,
    ),
    "recall": Operation(
        CollectionWorkflow.recall_from_agency, RecallFromAgency,
        lambda a: {"reason": a.reason},
        "take the account back from its agency: the ladder resumes where it stopped",
        (REASON,),
        route="placements/recall", form=True,
    ),
    "agency-complaint": Operation(
        CollectionWorkflow.agency_complaint, AgencyComplaint,
        lambda a: {"text": a.text},
        "record a complaint against the agency the account is (or was) placed with",
        (arg("--text", required=True, help="what the complaint says"),),
        route="placements/complaints", roles=STAFF, form=True,
    ),
    "legal-outcome": Operation(
        CollectionWorkflow.legal_outcome, LegalOutcome,
        lambda a: {"outcome": a.outcome, "note": a.note},
        "how the case handed to legal ended",
        (arg("--outcome", required=True, choices=choices(LegalOutcome, "outcome")), NOTE),
        route="legal-outcome", roles=(LEGAL, *LEADS),
    ),
}  # fmt: skip
