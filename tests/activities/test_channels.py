import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from activities.channels import DocumentConflict, FileChannel, Outbound, document_name


def message(key: str = "collection-ACC-1/evt-1/d001-send_sms", **fields: object) -> Outbound:
    return Outbound(
        idempotency_key=key,
        kind="sms",
        action="send_sms",
        account_id="ACC-1",
        step="d001-send_sms",
        day=1,
        planned_at=datetime(2026, 10, 2, tzinfo=UTC),
        recipient="+8613800000000",
        text="hello",
    ).model_copy(update=fields)


def test_same_key_is_delivered_once_and_returns_the_first_reference(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path)
    first = channel.deliver(message())
    again = channel.deliver(message(text="changed"))
    assert (first.already_sent, again.already_sent) == (False, True)
    assert again.reference == first.reference
    assert [r["text"] for r in channel.records()] == ["hello"]


def test_two_channels_on_one_folder_stand_for_two_worker_processes(tmp_path: Path) -> None:
    a, b = FileChannel(tmp_path), FileChannel(tmp_path)
    keys = [f"k{i}" for i in range(50)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: (a if hash(k) % 2 else b).deliver(message(k)), keys * 3))
    assert sorted(r["idempotency_key"] for r in a.records()) == sorted(keys)


def test_a_line_torn_by_a_crash_does_not_corrupt_the_next_record(tmp_path: Path) -> None:
    FileChannel(tmp_path).deliver(message("k1"))
    with (tmp_path / "outbox.jsonl").open("a") as outbox:
        outbox.write('{"idempotency_key": "k2", "tex')
    channel = FileChannel(tmp_path)
    channel.deliver(message("k3"))
    assert [r["idempotency_key"] for r in channel.records()] == ["k1", "k3"]


def test_letters_are_stored_as_documents_with_their_checksum(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path)
    channel.deliver(message(kind="letter", source="= Demand", text="Demand"))
    record = channel.records()[0]
    assert (tmp_path / record["document"]).read_text() == "= Demand"
    assert record["sha256"] == hashlib.sha256(b"= Demand").hexdigest()
    assert json.loads((tmp_path / "outbox.jsonl").read_text())["source"] is None


def letter(key: str, source: str, pdf: bytes | None = None) -> Outbound:
    return message(key, kind="letter", action="send_demand_letter", source=source, text="Demand", pdf=pdf)


def test_two_accounts_whose_keys_once_mapped_to_one_file_keep_their_own_letters(tmp_path: Path) -> None:
    """`COL-A` with event `X__Y`, and `COL-A__X` with event `Y`: `/` became `__`, and one letter replaced the other."""
    channel = FileChannel(tmp_path)
    keys = ["collection-COL-A/X__Y/d030-send_demand_letter", "collection-COL-A__X/Y/d030-send_demand_letter"]
    for key in keys:
        channel.deliver(letter(key, f"= {key}", pdf=f"%PDF {key}".encode()))
    records = channel.records()
    assert len({r["document"] for r in records}) == len({r["pdf"] for r in records}) == 2
    for key, record in zip(keys, records, strict=True):
        assert (tmp_path / record["document"]).read_text() == f"= {key}"
        assert hashlib.sha256((tmp_path / record["pdf"]).read_bytes()).hexdigest() == record["pdf_sha256"]
    assert sorted(p.name for p in (tmp_path / "documents").iterdir()) == sorted(
        Path(r[field]).name for r in records for field in ("document", "pdf")
    )  # no temporary file left behind


def test_a_document_is_never_overwritten(tmp_path: Path) -> None:
    key, source = "collection-ACC-1/evt-1/d030-send_demand_letter", "= Demand"
    taken = tmp_path / "documents" / document_name(key, hashlib.sha256(source.encode()).hexdigest(), ".typ")
    taken.parent.mkdir()
    taken.write_text("= Something else")
    with pytest.raises(DocumentConflict, match="exists with other content"):
        FileChannel(tmp_path).deliver(letter(key, source))
    assert taken.read_text() == "= Something else"
    assert FileChannel(tmp_path).records() == []


def test_a_letter_retried_after_a_crash_keeps_both_renderings(tmp_path: Path) -> None:
    """A worker died after writing the letter's PDF and before the outbox line: the retry renders it again, with
    other bytes (a template changed in between), and the outbox's checksum is that of the file it names."""
    key = "collection-ACC-1/evt-1/d030-send_demand_letter"
    FileChannel(tmp_path)._store_document(key, b"%PDF first rendering", ".pdf")
    FileChannel(tmp_path).deliver(letter(key, "= Demand", pdf=b"%PDF second rendering"))
    (record,) = FileChannel(tmp_path).records()
    assert (tmp_path / record["pdf"]).read_bytes() == b"%PDF second rendering"
    assert len(list((tmp_path / "documents").glob("*.pdf"))) == 2
