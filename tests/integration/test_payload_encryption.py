"""Payload encryption on a real Temporal dev server: with COLLECTIONS_ENCRYPTION_KEYS set, a client from
`Settings.connect` and a worker built on it write an account's whole history (the start signal with the debtor,
the send_sms activity's request and result) as ciphertext; a client without the codec sees none of the debtor's
data, and the client with it still reads the status query."""

import base64
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.history.v1 import History
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from codec import ENCODING, KEY_ID, EncryptionCodec
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import submit
from settings import Settings
from tests.factories import overdue
from tests.integration.test_end_to_end import compressed_policies
from tests.polling import eventually
from worker import build_worker
from workflows import STATUS, workflow_id

pytestmark = pytest.mark.integration

NAME = "Złota Rybka Handel Śledziami Sp. z o.o. 鲱鱼贸易"
PHONE = "+48601234987"
EMAIL = "ksiegowosc.zlota-rybka@herring.example.com"
SMS_STEP = "d001-send_sms"  # standard.toml's first step: the request carries the whole debtor


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every payload anywhere in a history event, but search attributes: Temporal indexes those, so no codec ever
    sees them (ours hold stages and amounts, no debtor data)."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        else:
            items = list(value) if field.is_repeated else [value]
        for item in items:
            if isinstance(item, Payload):
                yield item
            elif isinstance(item, Message) and not isinstance(item, SearchAttributes):
                yield from payloads_in(item)


async def test_histories_hold_no_debtor_data_and_the_codec_client_still_reads_them(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = f"2026-q3={base64.b64encode(os.urandom(32)).decode()}"
    monkeypatch.setenv("COLLECTIONS_ENCRYPTION_KEYS", keys)
    monkeypatch.setenv("TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", dev_env.client.namespace)
    client = await Settings.from_env().connect()  # the wiring under test: the worker inherits this converter
    queue = f"tq-{uuid.uuid4()}"
    account = f"ENC-{uuid.uuid4().hex[:8]}"
    book = PolicyBook(compressed_policies(tmp_path / "policies"))  # day 1's SMS goes out now, not at 09:00
    event = overdue(account_id=account, occurred_at=datetime.now(UTC), timezone="UTC", name=NAME, phone=PHONE,
                    email=EMAIL)  # fmt: skip

    async with build_worker(client, tmp_path / "outbox", task_queue=queue):
        assert await submit(client, event, book, task_queue=queue) == "started"
        handle: WorkflowHandle = client.get_workflow_handle(workflow_id(account))
        try:
            # The worker has run send_sms: its request carries the debtor, encoded by the worker.
            status = await eventually(
                lambda: handle.query(STATUS, datetime.now(UTC), result_type=AccountStatus),
                lambda s: any(h.step == SMS_STEP and h.kind == "action" for h in s.history),
            )
            assert any(h.step == SMS_STEP and h.kind == "action" for h in status.history), status.history
            assert status.debtor_name == NAME  # the codec client reads its own history
        finally:
            await handle.terminate("test over")

    plain = dev_env.client  # the pydantic converter, no codec: what the server and its Web UI hold
    history = await plain.get_workflow_handle(workflow_id(account)).fetch_history()
    raw = History(events=history.events).SerializeToString()
    for secret in (NAME, PHONE, EMAIL, "Złota Rybka", "鲱鱼贸易"):
        assert secret.encode() not in raw, secret
        assert secret not in history.to_json()

    # Patch markers (workflow.patched) are written by the SDK's core, not through the codec: they hold the patch id.
    patches = [e for e in history.events if e.marker_recorded_event_attributes.marker_name == "core_patch"]
    marked = [json.loads(p.data) for e in patches for p in payloads_in(e)]
    assert marked and all(set(m) == {"id", "deprecated"} for m in marked), marked
    # A local activity's marker (the KPIs' facts, from issue 20) likewise: its `data` says which activity it was, in
    # plain JSON from core; its result went through the codec.
    local = [e for e in history.events if e.marker_recorded_event_attributes.marker_name == "core_local_activity"]
    about = [json.loads(p.data) for e in local for p in e.marker_recorded_event_attributes.details["data"].payloads]
    assert about and all({"activity_type", "seq"} <= set(entry) for entry in about), about
    payloads = [payload for event in history.events if event not in patches and event not in local
                for payload in payloads_in(event)]  # fmt: skip
    payloads += [p for e in local for p in e.marker_recorded_event_attributes.details["result"].payloads]
    assert len(payloads) >= 4  # the start signal, send_sms's request and result, the workflow input...
    assert {(p.metadata["encoding"], p.metadata[KEY_ID]) for p in payloads} == {(ENCODING, b"2026-q3")}
    # The control: the debtor's data is in those payloads, sealed.
    opened = b"".join(p.SerializeToString() for p in await EncryptionCodec.from_setting(keys).decode(payloads))
    for secret in (NAME, PHONE, EMAIL):
        assert secret.encode() in opened, secret
