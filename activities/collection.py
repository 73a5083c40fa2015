"""The collection activities: render a step, record it in the store's outbox, send it exactly once.

Exactly once: the outbox row is written (pending) under the idempotency key before sending, and marked sent
with the provider's reference after. A retry finds the row: sent, it returns the recorded result without
sending; pending (a crash between send and mark), it sends again with the same key, which the provider
(SMS idempotency header, SMTP Message-ID, the file channel's key index) recognises."""

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import Outbound, OutboundKind
from activities.legal_case import LegalDesk
from activities.rendering import LETTER_SUFFIX, Renderer
from activities.routing import Channels
from activities.senders import PermanentSendError
from domain.actions import ActionRequest, ActionResult, ContactEntry, DecisionRecord
from domain.kinds import KINDS, ActionKind, Output
from domain.people import POOLS, priority
from observability import MESSAGES
from store.models import Account, ContactLog, Document, Invoice, Message, Payment, Task
from store.queue import close_step
from store.repository import Store

RECORDED_ACCOUNTS = 10_000  # accounts whose last recorded state one worker remembers


class CollectionActivities:
    """Activities as methods of one object holding their dependencies: store, channels, renderer, legal desk."""

    def __init__(self, store: Store, channels: Channels, renderer: Renderer, legal: LegalDesk) -> None:
        self.store, self.channels, self.renderer, self.legal = store, channels, renderer, legal
        self._outputs: dict[Output, Callable[[ActionRequest], ActionResult]] = {
            "sms": self._sms, "email": self._email, "letter": self._letter, "task": self._task,
        }  # fmt: skip
        self._recorded: dict[str, tuple[object, ...]] = {}  # account id -> what this process last recorded of it

    def perform(self, request: ActionRequest) -> ActionResult:
        """Do the action the request names: render it and deliver it as its kind says (domain.kinds). The
        litigation task also opens the legal case with its evidence package: the handoff."""
        if request.action is ActionKind.LAWYER_LETTER_DRAFT:
            return self._draft(request)
        result = self._outputs[KINDS[request.action].output](request)
        if request.action is ActionKind.LITIGATION:
            case = self.legal.open_case(request)
            self._log(request, "handoff", f"legal case {case.case_id} opened: {request.handoff_reason}")
        if request.action is ActionKind.AGENCY_PLACEMENT:  # written again on a retry: the same package
            package = self.legal.agency_package(request)
            self._log(request, "handoff", f"placed with {request.details['agency']}: package {package.name}")
        return result

    @activity.defn(name="record_decision")
    def record_decision(self, decision: DecisionRecord) -> None:
        """A step skipped or the account closed: one contact-log row (once, whatever the retries). Closed, the
        account's open tasks are cancelled: nobody works them any more."""
        self._log_once(
            ContactLog(
                account_id=decision.account_id, at_utc=decision.at, at_local=_local(decision.at, decision.timezone),
                channel="decision", action=decision.action, step=decision.step,
                idempotency_key=decision.idempotency_key, result=decision.result, detail=decision.detail,
            )
        )  # fmt: skip
        if decision.step == "closed":
            self.store.close_tasks(decision.account_id, f"account closed: {decision.detail}", decision.at)

    @activity.defn(name="log_contact")
    def log_contact(self, entry: ContactEntry) -> None:
        """A call or visit a person made, or the debtor's answer to the balance confirmation: one contact-log row, as
        evidence (once, whatever the retries)."""
        record = entry.record
        action = "confirm_balance" if record.channel == "confirmation" else "record_contact"
        what = [f"notes: {record.notes}" if record.notes else "", f"agreed: {record.agreed}" if record.agreed else "",
                f"task {record.task}" if record.task else ""]  # fmt: skip
        self._log_once(
            ContactLog(
                account_id=entry.account_id, at_utc=record.at, at_local=_local(record.at, entry.timezone),
                channel=record.channel, action=action, step=record.task,
                idempotency_key=entry.idempotency_key, result=record.result, detail="; ".join(filter(None, what)),
                by=record.by, duration_minutes=record.duration_minutes, evidence_ref=record.evidence_ref,
            )
        )  # fmt: skip

    def _log_once(self, row: ContactLog) -> None:
        if not any(logged.idempotency_key == row.idempotency_key for logged in self.store.contact_log(row.account_id)):
            self.store.log(row)

    def all(self) -> list[Callable[..., object]]:
        """Every activity the worker registers: one per action kind, named as the kind (as recorded histories name
        them), each running `perform`; `record_decision` and `log_contact`."""
        return [*(self._activity(kind) for kind in ActionKind), self.record_decision, self.log_contact]

    def _activity(self, kind: ActionKind) -> Callable[[ActionRequest], ActionResult]:
        def run(request: ActionRequest) -> ActionResult:
            return self.perform(request)

        run.__name__ = run.__qualname__ = kind.value
        return activity.defn(name=kind.value)(run)

    # --- rendering ---

    def _sms(self, request: ActionRequest) -> ActionResult:
        text = self.renderer.render("sms", request, ".txt.j2")
        return self._deliver(request, "sms", request.debtor.phone, "sms", ".txt.j2", text=text)

    def _email(self, request: ActionRequest) -> ActionResult:
        subject, text, html = (
            self.renderer.render_block("email", request, block) for block in ("subject", "text", "html")
        )
        return self._deliver(request, "email", request.debtor.email, "email", ".j2", subject=subject, text=text,
                             html=html)  # fmt: skip

    def _letter(self, request: ActionRequest) -> ActionResult:
        sent = self.store.message(request.idempotency_key)
        if sent is not None and sent.status == "sent":  # a retry after success: no second PDF rendering
            return self._result(request, sent.channel, sent.recipient, sent.provider_reference or "", already_sent=True)
        source, title = self.renderer.letter(request)
        pdf = self.renderer.pdf(source, request.planned_at)  # dated as planned: a retry typesets the same bytes
        document = self._save_pdf(request, "letter", pdf)
        return self._deliver(
            request, "letter", request.debtor.name, "letters", LETTER_SUFFIX,
            subject=title, text=title, source=source, pdf=pdf, document_id=document.id,
        )  # fmt: skip

    def _save_pdf(self, request: ActionRequest, kind: str, pdf: bytes) -> Document:
        """The step's PDF kept in the store with its checksum, once per idempotency key."""
        return self.store.save_document(
            Document(account_id=request.account_id, idempotency_key=request.idempotency_key, kind=kind,
                     filename=f"{request.step}.pdf", content_type="application/pdf",
                     sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), content=pdf, created_at=datetime.now(UTC))
        )  # fmt: skip

    def _draft(self, request: ActionRequest) -> ActionResult:
        """The lawyer's letter as a draft for the creditor's law firm, kept as a document and attached to the task
        that asks legal to send it to the firm. No firm configured: refused, never issued in anyone's name."""
        try:
            firm = self.renderer.law_firm_of(request)
        except ValueError as error:
            raise ApplicationError(str(error), type="NoLawFirm", non_retryable=True) from None
        letter = request.model_copy(update={"template": "lawyer_letter"})  # no lawyer nor date: the firm's to give
        source, _ = self.renderer.letter(letter)
        pdf = self.renderer.pdf(source, request.planned_at)
        document = self._save_pdf(request, "draft", pdf)
        lawyers = ", ".join(f"{lawyer.name} ({lawyer.licence})" for lawyer in firm.lawyers)
        details = request.details | {"draft_document": str(document.id), "lawyers": lawyers}
        return self._task(request.model_copy(update={"details": details}), pdf, document.id)

    def _task(self, request: ActionRequest, pdf: bytes | None = None, document_id: int | None = None) -> ActionResult:
        text = self.renderer.render("tasks", request, ".txt.j2", staff=True)
        role = request.assignee_role or KINDS[request.action].assignee  # none: refused as InvalidRecipient
        due = request.deadline.isoformat() if request.deadline else None
        return self._deliver(
            request, "task", role, "tasks", ".txt.j2", pdf, document_id,
            subject=text.splitlines()[0], text=text, assignee_role=role, due=due,
        )  # fmt: skip

    # --- the exactly-once pipeline ---

    def _deliver(
        self, request: ActionRequest, kind: OutboundKind, recipient: str | None, folder: str, suffix: str,
        pdf: bytes | None = None, document_id: int | None = None, *, text: str, subject: str | None = None,
        html: str | None = None, source: str | None = None, assignee_role: str | None = None, due: str | None = None,
    ) -> ActionResult:  # fmt: skip
        if not recipient:
            raise ApplicationError(f"no recipient for {kind}", type="InvalidRecipient", non_retryable=True)
        key = request.idempotency_key
        self._record_account(request)
        outbound = Outbound(
            idempotency_key=key, kind=kind, action=request.action.value, account_id=request.account_id,
            step=request.step, day=request.days_past_due, planned_at=request.planned_at, recipient=recipient,
            pdf=pdf, text=text, subject=subject, html=html, source=source, assignee_role=assignee_role, due=due,
            address=request.debtor.address.model_dump() if kind == "letter" and request.debtor.address else None,
        )  # fmt: skip
        template = self._template(request, folder, suffix)
        body = outbound.html or outbound.source  # an email's HTML, a letter's source
        digest = hashlib.sha256(f"{outbound.subject}\n{outbound.text}\n{body}".encode()).hexdigest()

        def entry(result: str, detail: str) -> ContactLog:
            return self._entry(request, result, f"{kind} to {recipient}{detail}", template, digest, document_id)

        row = self.store.attempt(
            Message(idempotency_key=key, account_id=request.account_id, kind=kind, action=request.action.value,
                    step=request.step, channel="", recipient=recipient, subject=outbound.subject,
                    body_text=outbound.source or outbound.text, body_html=outbound.html, document_id=document_id,
                    status="pending",
                    attempts=0, created_at=datetime.now(UTC)),
            entry("attempt", ""),
        )  # fmt: skip
        if row.status == "sent":
            activity.logger.info("%s already sent as %s: not again", key, row.provider_reference)
            _count(kind, row.channel, "already_sent")
            return self._result(request, row.channel, recipient, row.provider_reference or "", already_sent=True)
        if row.status == "failed":
            raise ApplicationError(row.error or "failed before", "", type="PermanentSendError", non_retryable=True)
        try:  # any other error is retryable: Temporal tries again and finds the row still pending
            channel, reference = self.channels.send(outbound, self._create_task(request))
        except PermanentSendError as error:
            _count(kind, "", "failed")
            self.store.mark_failed(key, str(error), entry("failed", f": {error}"))
            raise ApplicationError(
                str(error), error.outcome or "", type="PermanentSendError", non_retryable=True
            ) from None
        self.store.mark_sent(key, channel, reference, entry("sent", f" via {channel} ({reference})"))
        _count(kind, channel, "sent")
        return self._result(request, channel, recipient, reference)

    def _create_task(self, request: ActionRequest) -> Callable[[Outbound], str]:
        """The router calls this for tasks: the store's task list is where staff tasks are delivered."""

        def create(message: Outbound) -> str:
            assignee, team = self._assign(request, message.recipient)
            task = self.store.create_task(
                Task(idempotency_key=message.idempotency_key, account_id=message.account_id,
                     kind=KINDS[request.action].task or request.action.value, assignee_role=message.recipient,
                     summary=message.subject or "", body=message.text, step=request.step,
                     due_at=_due(request), state="open", created_at=datetime.now(UTC),
                     team=team, priority=priority(request), assignee=assignee,
                     claimed_at=datetime.now(UTC) if assignee else None)
            )  # fmt: skip
            for step in filter(None, request.details.get("supersedes", "").split(",")):
                close_step(self.store, request.account_id, step, "system", f"superseded by {request.step}",
                           datetime.now(UTC), state="cancelled")  # fmt: skip
            return f"task-{task.id}"

        return create

    def _assign(self, request: ActionRequest, pool: str) -> tuple[str | None, str | None]:
        """Who holds a new task, and its team. A collector's task goes to the account's owner; an account without
        one gets the collector of its team (the policy's [work] teams rules) holding the fewest open tasks, who owns
        it from then on. Other tasks wait in their role's pool. No collector yet: the pool's."""
        account = self.store.account(request.account_id)
        team = (account.team if account else None) or request.team
        if pool not in POOLS["collector"]:
            return None, team
        if account is not None and account.owner:
            return account.owner, team
        owner = self.store.least_loaded("collector", team)
        if owner is not None:
            self.store.set_owner(request.account_id, owner, team, "assignment rules", datetime.now(UTC))
        return owner, team

    def _record_account(self, request: ActionRequest) -> None:
        """The account, its invoices and payments into the store, unless this process already recorded the same:
        the upsert is the costliest write of an action, and most actions find nothing new to record."""
        seen = (request.workflow_id, request.policy, request.debtor, [i.invoice_id for i in request.invoices],
                [p.payment_id for p in request.payments])  # fmt: skip
        if self._recorded.get(request.account_id) == seen:
            return
        debtor = request.debtor
        self.store.upsert_account(
            Account(account_id=request.account_id, workflow_id=request.workflow_id, debtor_name=debtor.name,
                    phone=debtor.phone, email=debtor.email, timezone=debtor.timezone, locale=debtor.locale,
                    segment=debtor.segment, policy=request.policy, updated_at=datetime.now(UTC)),
            [Invoice(account_id=request.account_id, invoice_id=i.invoice_id, amount=i.amount, currency=i.currency,
                     due_date=i.due_date, contract_ref=i.contract_ref) for i in request.invoices],
            [Payment(account_id=request.account_id, payment_id=p.payment_id, amount=p.amount, currency=p.currency,
                     received_at=p.received_at) for p in request.payments],
        )  # fmt: skip
        if len(self._recorded) >= RECORDED_ACCOUNTS:
            self._recorded.clear()  # bounded: forgetting only costs an upsert that finds nothing new
        self._recorded[request.account_id] = seen

    def _template(self, request: ActionRequest, folder: str, suffix: str) -> tuple[str, str]:
        locale = "en" if folder == "tasks" else request.debtor.locale
        name = f"{folder}/{locale}/{request.template}{suffix}"
        return name, self.renderer.version(name)

    def _log(self, request: ActionRequest, result: str, detail: str) -> None:
        self.store.log(self._entry(request, result, detail))

    @staticmethod
    def _entry(
        request: ActionRequest, result: str, detail: str, template: tuple[str, str] = ("", ""), digest: str = "",
        document_id: int | None = None,
    ) -> ContactLog:  # fmt: skip
        now = datetime.now(UTC)
        return ContactLog(
            account_id=request.account_id, at_utc=now, at_local=_local(now, request.debtor.timezone),
            channel=request.action.value, action=request.action.value, step=request.step, template=template[0],
            template_version=template[1], content_sha256=digest, idempotency_key=request.idempotency_key,
            result=result, detail=detail, document_id=document_id,
        )  # fmt: skip

    @staticmethod
    def _result(
        request: ActionRequest, channel: str, recipient: str, reference: str, already_sent: bool = False
    ) -> ActionResult:
        return ActionResult(
            idempotency_key=request.idempotency_key,
            channel=channel,
            recipient=recipient,
            reference=reference,
            already_sent=already_sent,
        )


def _local(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).isoformat()


def _due(request: ActionRequest) -> datetime | None:
    """The task's due time: the one the workflow follows it by (requests planned before it said so: the start of the
    step's deadline day in the debtor's timezone)."""
    if request.due_at is not None or request.deadline is None:
        return request.due_at
    return datetime.combine(request.deadline, datetime.min.time(), tzinfo=ZoneInfo(request.debtor.timezone))


def _count(kind: str, channel: str, result: str) -> None:
    """One message by kind, channel and result on the metrics endpoint (no-op outside an activity, as in tests
    that call the methods directly)."""
    if activity.in_activity():
        counter = activity.metric_meter().create_counter(MESSAGES, "messages handed to a channel, by result")
        counter.add(1, {"kind": kind, "channel": channel or "none", "result": result})
