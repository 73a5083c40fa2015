"""`POST /v1/events`: events from billing systems (docs/events.md), as `starter.py ingest` takes them.

The body is one event (a JSON object), a batch (a JSON array of events), or JSON lines
(`Content-Type: application/x-ndjson`, one event per line). Validation, the start-or-join and the per-event results
are `edge.ingest`'s own, so the API and the command line cannot drift apart.

Semantics are 207-style, in the body: the answer is HTTP 200 with one result per event, in input order, whatever
the events' fates. A batch with invalid members applies the valid ones. `line` is the line number in JSON lines
(blank lines are skipped but counted), the 1-based position in an array, and 1 for a single object. `result` is
`started` or `joined` (an invoice event opened or joined its account), `known` (its invoice is already on the account:
nothing to do), `applied` (invoice.paid or invoice.cancelled recorded), `duplicate` (its event id was delivered
before), `accepted` (durably signalled; no worker said yet what became of it), `rejected` (`reason`: every bad field,
or why the account refused it, such as `no open account <id>`) or `failed` (Temporal refused the call: `reason`; send
it again, it is idempotent by event id). Only a body that cannot be split into events at all is refused as a whole
(422).
"""

import json
from http import HTTPStatus

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from api.auth import OPS, require
from api.state import AppSettings, Policies, TemporalClient
from edge import ingest

MAX_EVENTS = 10_000
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


router = APIRouter(prefix="/v1", tags=["events"])


class EventResult(BaseModel):
    line: int
    event_id: str | None
    account_id: str | None
    result: ingest.Result
    reason: str | None = None


REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "description": "one event (invoice.overdue, invoice.issued, invoice.due_soon, invoice.paid, "
                "invoice.cancelled), or an array of them (see docs/events.md)",
                "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
            }
        },
        "application/x-ndjson": {"schema": {"type": "string", "description": "one JSON event per line"}},
    },
}


@router.post(
    "/events",
    response_model=list[EventResult],
    dependencies=[Depends(require(OPS))],
    openapi_extra={"requestBody": REQUEST_BODY},
    summary="Billing events: invoices start or join accounts, payments and cancellations apply (per-event results)",
)
async def post_events(
    request: Request, client: TemporalClient, settings: AppSettings, policies: Policies
) -> list[EventResult]:
    lines = split(request.headers.get("content-type", ""), await request.body())
    report = await ingest.ingest(
        client, lines, policies, task_queue=settings.task_queue, history_events_per_run=settings.history_events_per_run
    )
    return [result_of(line) for line in report.lines]


def split(content_type: str, body: bytes) -> list[ingest.Line]:
    """The body as `ingest.Line`s: JSON lines as they come, a JSON object or array one line per event."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _unsplittable("the body is not UTF-8") from None
    if content_type.split(";")[0].strip().lower() in NDJSON_TYPES:
        lines = ingest.read_lines(text.split("\n"))  # JSON lines end at \n only, not at U+2028 or NEL
    else:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise _unsplittable(f"malformed JSON ({error}); send JSON lines as application/x-ndjson") from None
        except RecursionError:
            raise _unsplittable("JSON nested too deeply") from None
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise _unsplittable("expected an event (a JSON object) or a batch (a JSON array)")
        lines = ingest.read_lines(_member(member) for member in data)
    if not lines:
        raise _unsplittable("no event in the body")
    if len(lines) > MAX_EVENTS:
        raise HTTPException(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, detail=f"at most {MAX_EVENTS} events per request")
    return lines


def _member(member: object) -> str:
    """One member of a batch as a JSON line (an absurdly nested one becomes a line the parser rejects)."""
    try:
        return json.dumps(member, ensure_ascii=False)
    except RecursionError:
        return '"JSON nested too deeply"'


def result_of(line: ingest.Line) -> EventResult:
    """`ingest.Line.result` ("rejected: why", "accepted (why)", "started") as a result and its reason."""
    kind = next(kind for kind in ingest.RESULTS if line.result.startswith(kind))
    reason = line.result.removeprefix(kind).strip().removeprefix(":").strip()
    if reason.startswith("(") and reason.endswith(")"):
        reason = reason[1:-1]
    ids = _ids(line)
    return EventResult(line=line.number, event_id=ids[0], account_id=ids[1], result=kind, reason=reason or None)


def _ids(line: ingest.Line) -> tuple[str | None, str | None]:
    """The event's ids, from the validated event, else from whatever the rejected line holds."""
    if line.event:
        return line.event.event_id, line.event.account_id
    data = line.probe()
    return _text(data.get("event_id")), _text(data.get("account_id"))


def _text(value: object) -> str | None:
    return ingest.printable(value, 128) if value is not None else None


def _unsplittable(reason: str) -> HTTPException:
    return HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=reason)
