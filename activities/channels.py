"""Where messages, letters and tasks go. Channels are injected; the file channel is the embedded default."""

import contextlib
import fcntl
import hashlib
import json
import os
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

from pydantic import BaseModel, Field

from store.files import private_dir, private_file, write_private

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
    html: str | None = None  # an email's HTML part
    source: str | None = Field(default=None, description="a letter's Typst source: what its PDF was typeset from")
    assignee_role: str | None = None
    due: str | None = None
    pdf: bytes | None = Field(default=None, exclude=True, description="a letter's PDF, or a task's attachment")
    address: dict | None = Field(default=None, description="a letter's postal address, as the courier takes it")


class Delivery(BaseModel):
    channel: str
    reference: str
    already_sent: bool


class DocumentConflict(Exception):
    """A document's file exists with other content: it is never replaced (only tampering or a hash collision gets
    here, since a file's name holds the checksum of its content)."""


def document_name(key: str, sha256: str, suffix: str) -> str:
    """A document's file name: a readable form of its idempotency key, then a hash of the whole key (so two keys
    never share a name, as `COL-A` + `X__Y` and `COL-A__X` + `Y` once did), then its content's checksum (so a
    retried letter never replaces the first rendering, should the two differ)."""
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", key)[:80]
    return f"{readable}.{hashlib.sha256(key.encode()).hexdigest()[:32]}.{sha256[:16]}{suffix}"


class Channel(Protocol):
    def deliver(self, message: Outbound) -> Delivery: ...


class FileChannel:
    """Appends each delivery as one JSON line to `<folder>/outbox.jsonl`; a letter's source and PDF go to
    `<folder>/documents/`. Safe across threads and processes (flock), exactly once per idempotency key."""

    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "outbox.jsonl"
        self.documents = folder / "documents"
        private_dir(self.documents)
        private_file(self.path)
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
            key = message.idempotency_key
            if message.source is not None:
                record["document"], record["sha256"] = self._store_document(key, message.source.encode(), ".typ")
                record["source"] = None
            if message.pdf is not None:  # a letter's, or the draft a task hands over (a lawyer's letter for the firm)
                record["pdf"], record["pdf_sha256"] = self._store_document(key, message.pdf, ".pdf")
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

    def _store_document(self, key: str, content: bytes, suffix: str) -> tuple[str, str]:
        """Written whole under a temporary name, then linked to its own name, which fails if that name exists:
        a document is never overwritten. The same content under the same name is a retry's: nothing to do."""
        digest = hashlib.sha256(content).hexdigest()
        path = self.documents / document_name(key, digest, suffix)
        temporary = self.documents / f".{uuid.uuid4().hex}.tmp"
        write_private(temporary, content, exclusive=True)
        try:
            os.link(temporary, path)
        except FileExistsError:
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise DocumentConflict(f"{path.name} exists with other content: not replaced") from None
        finally:
            temporary.unlink()
        return str(path.relative_to(self.folder)), digest


def _parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except ValueError:
        return None  # blank, or torn by a crashed writer
