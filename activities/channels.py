"""Where messages, letters and tasks go. Channels are injected; the file channel is the embedded default."""

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from pydantic import BaseModel, Field

OutboundKind = Literal["sms", "email", "letter", "task"]


class Outbound(BaseModel):
    """One rendered thing to deliver. `idempotency_key` is unique: delivering it twice delivers once."""

    idempotency_key: str
    kind: OutboundKind
    action: str
    account_id: str
    step: str
    day: int
    planned_at: datetime = Field(description="when the workflow took the action (workflow time)")
    recipient: str
    subject: str | None = None
    text: str
    html: str | None = None
    assignee_role: str | None = None
    due: str | None = None
    pdf: bytes | None = Field(default=None, exclude=True, description="a letter's PDF, next to its HTML")


class Delivery(BaseModel):
    channel: str
    reference: str
    already_sent: bool


class Channel(Protocol):
    def deliver(self, message: Outbound) -> Delivery: ...


class FileChannel:
    """Appends each delivery as one JSON line to `<folder>/outbox.jsonl`; HTML documents go to
    `<folder>/documents/`. Safe across threads and processes (flock), exactly once per idempotency key."""

    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "outbox.jsonl"
        self.documents = folder / "documents"
        self.documents.mkdir(parents=True, exist_ok=True)
        self.path.touch(exist_ok=True)
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}  # idempotency key -> reference, read from the file so far
        self._read_upto = 0

    def deliver(self, message: Outbound) -> Delivery:
        with self._lock, self.path.open("ab+") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)  # other worker processes append to the same file
            self._catch_up(outbox)
            if message.idempotency_key in self._known:
                return Delivery(channel=self.name, reference=self._known[message.idempotency_key], already_sent=True)
            record = message.model_dump(mode="json")
            record["reference"] = reference = f"file-{uuid.uuid4().hex[:12]}"
            record["written_at"] = datetime.now(UTC).isoformat()
            if message.kind == "letter" and message.html is not None:
                record["document"], record["sha256"] = self._store_document(message, message.html.encode(), ".html")
                if message.pdf is not None:
                    record["pdf"], record["pdf_sha256"] = self._store_document(message, message.pdf, ".pdf")
                record["html"] = None
            outbox.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
            outbox.flush()
            os.fsync(outbox.fileno())
            self._read_upto = outbox.tell()
            self._known[message.idempotency_key] = reference
            return Delivery(channel=self.name, reference=reference, already_sent=False)

    def records(self) -> list[dict]:
        """Everything delivered so far, in order (for tests, demos and the status CLI)."""
        with self.path.open(encoding="utf-8") as outbox:
            return [record for line in outbox if (record := _parse(line))]

    def _catch_up(self, outbox: BinaryIO) -> None:
        """Index what other processes appended since we last looked."""
        outbox.seek(self._read_upto)
        data = outbox.read()
        if data and not data.endswith(b"\n"):
            outbox.write(b"\n")  # a writer crashed mid-line: end that line so ours starts clean
            data += b"\n"
        for line in data.splitlines():
            with contextlib.suppress(ValueError):  # the torn line itself is not JSON
                record = json.loads(line)
                self._known[record["idempotency_key"]] = record["reference"]
        self._read_upto += len(data)

    def _store_document(self, message: Outbound, content: bytes, suffix: str) -> tuple[str, str]:
        digest = hashlib.sha256(content).hexdigest()
        safe = message.idempotency_key.replace("/", "__")
        path = self.documents / f"{safe}{suffix}"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(content)
        temporary.replace(path)
        return str(path.relative_to(self.folder)), digest


def _parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except ValueError:
        return None  # blank, or torn by a crashed writer
