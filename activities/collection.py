"""The collection activities: render a ladder step and hand it to a channel, exactly once per key."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import Channel, Outbound, OutboundKind
from activities.rendering import Renderer
from domain.actions import ActionRequest, ActionResult
from domain.policy import ActionKind

# Who works each staff task.
ASSIGNEES = {
    ActionKind.CALL_TASK: "collector",
    ActionKind.ESCALATION: "collections_manager",
    ActionKind.LITIGATION: "legal",
    ActionKind.LOCK_ORDERS: "sales_operations",
}


class CollectionActivities:
    """Activities as methods of one object holding their dependencies (renderer, channel)."""

    def __init__(self, channel: Channel, renderer: Renderer) -> None:
        self.channel = channel
        self.renderer = renderer

    @activity.defn(name=ActionKind.SMS.value)
    def send_sms(self, request: ActionRequest) -> ActionResult:
        return self._deliver(request, "sms", request.debtor.phone, text=self.renderer.render("sms", request, ".txt.j2"))

    @activity.defn(name=ActionKind.EMAIL.value)
    def send_email(self, request: ActionRequest) -> ActionResult:
        return self._email(request)

    @activity.defn(name=ActionKind.INSTALLMENT_SMS.value)
    def send_installment_sms(self, request: ActionRequest) -> ActionResult:
        return self.send_sms(request)

    @activity.defn(name=ActionKind.INSTALLMENT_EMAIL.value)
    def send_installment_email(self, request: ActionRequest) -> ActionResult:
        return self._email(request)

    @activity.defn(name=ActionKind.DEMAND_LETTER.value)
    def send_demand_letter(self, request: ActionRequest) -> ActionResult:
        return self._letter(request)

    @activity.defn(name=ActionKind.FINAL_NOTICE.value)
    def send_final_notice(self, request: ActionRequest) -> ActionResult:
        return self._letter(request)

    @activity.defn(name=ActionKind.LAWYER_LETTER.value)
    def issue_lawyer_letter(self, request: ActionRequest) -> ActionResult:
        return self._letter(request)

    @activity.defn(name=ActionKind.CALL_TASK.value)
    def create_call_task(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.ESCALATION.value)
    def escalate_to_manager(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.LITIGATION.value)
    def open_litigation_task(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.LOCK_ORDERS.value)
    def lock_new_orders(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.APPROVAL_REQUEST.value)
    def request_approval(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.DISPUTE_REVIEW.value)
    def create_dispute_review_task(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.SUPERVISOR_REMINDER.value)
    def remind_supervisor(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.CLAIM_FILING.value)
    def open_claim_filing_task(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    @activity.defn(name=ActionKind.SKIP_TRACE.value)
    def create_skip_trace_task(self, request: ActionRequest) -> ActionResult:
        return self._task(request)

    def all(self) -> list:
        return [
            self.send_sms,
            self.send_email,
            self.send_demand_letter,
            self.send_final_notice,
            self.issue_lawyer_letter,
            self.create_call_task,
            self.escalate_to_manager,
            self.open_litigation_task,
            self.send_installment_sms,
            self.send_installment_email,
            self.lock_new_orders,
            self.request_approval,
            self.create_dispute_review_task,
            self.remind_supervisor,
            self.open_claim_filing_task,
            self.create_skip_trace_task,
        ]

    def _email(self, request: ActionRequest) -> ActionResult:
        blocks = {block: self.renderer.render_block("email", request, block) for block in ("subject", "text", "html")}
        return self._deliver(request, "email", request.debtor.email, **blocks)

    def _letter(self, request: ActionRequest) -> ActionResult:
        html = self.renderer.render("letters", request, ".html.j2")
        title = html.split("<title>", 1)[-1].split("</title>", 1)[0].strip() if "<title>" in html else None
        return self._deliver(request, "letter", request.debtor.name, subject=title, text=title or "", html=html)

    def _task(self, request: ActionRequest) -> ActionResult:
        text = self.renderer.render("tasks", request, ".txt.j2", staff=True)
        role = request.assignee_role or ASSIGNEES[request.action]
        due = request.deadline.isoformat() if request.deadline else None
        return self._deliver(
            request, "task", role, subject=text.splitlines()[0], text=text, assignee_role=role, due=due
        )

    def _deliver(
        self, request: ActionRequest, kind: OutboundKind, recipient: str | None, **content: str | None
    ) -> ActionResult:
        if not recipient:
            raise ApplicationError(f"no recipient for {kind}", type="InvalidRecipient", non_retryable=True)
        message = Outbound(
            idempotency_key=request.idempotency_key,
            kind=kind,
            action=request.action.value,
            account_id=request.account_id,
            step=request.step,
            day=request.days_past_due,
            planned_at=request.planned_at,
            recipient=recipient,
            **content,
        )
        delivery = self.channel.deliver(message)
        if delivery.already_sent:
            activity.logger.info(
                "already delivered %s (%s): not sending again", message.idempotency_key, delivery.reference
            )
        return ActionResult(
            idempotency_key=request.idempotency_key,
            channel=delivery.channel,
            recipient=recipient,
            reference=delivery.reference,
            already_sent=delivery.already_sent,
        )
