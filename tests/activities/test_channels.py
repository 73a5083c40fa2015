import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from activities.channels import FileChannel, Outbound


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
    channel.deliver(message(kind="letter", html="<html>demand</html>", text="Demand"))
    record = channel.records()[0]
    assert (tmp_path / record["document"]).read_text() == "<html>demand</html>"
    assert record["sha256"] == hashlib.sha256(b"<html>demand</html>").hexdigest()
    assert json.loads((tmp_path / "outbox.jsonl").read_text())["html"] is None
