"""The work queue on SQLite and PostgreSQL: most valuable first, scopes, claims, reassignment, audit rows."""

from datetime import UTC, datetime, timedelta

import pytest

from store import Store
from store.models import Task
from store.queue import TaskQuery, Viewer, claim, close, close_step, list_tasks, reassign, release
from store.repository import Conflict

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ANA = Viewer("ana", ("collector", "field_collector"), "north")
BO = Viewer("bo", ("collector", "field_collector"), "south")
SAM = Viewer("sam", ("supervisor",), "north")


def given(store: Store, n: int, priority: float | None, role: str = "collector", team: str | None = "north",
          account: str = "ACC-1", due_in_hours: int = 24) -> int:  # fmt: skip
    row = store.create_task(Task(idempotency_key=f"k-{n}", account_id=account, kind="collector_call",
                                 assignee_role=role, summary=f"task {n}", step=f"d{n:03d}-create_call_task",
                                 team=team, priority=priority, due_at=NOW + timedelta(hours=due_in_hours)))  # fmt: skip
    assert row.id is not None
    return row.id


def test_the_queue_lists_the_most_valuable_work_first_in_pages(store: Store) -> None:
    ids = [given(store, n, p) for n, p in enumerate([10.0, None, 300.5, 300.5, 42.0])]
    pages, cursor = [], None
    while True:
        rows, cursor = list_tasks(store, ANA, TaskQuery(), cursor, limit=2)
        pages.append([r.id for r in rows])
        if cursor is None:
            break
    assert pages == [[ids[2], ids[3]], [ids[4], ids[0]], [ids[1]]]
    with pytest.raises(ValueError, match="cursor"):
        list_tasks(store, ANA, TaskQuery(), "not-a-cursor")


def test_scopes_a_pool_a_team_and_what_one_holds(store: Store) -> None:
    north, south = given(store, 1, 5.0), given(store, 2, 6.0, team="south")
    review = given(store, 3, 7.0, role="supervisor")
    overdue = given(store, 4, 1.0, due_in_hours=-2)
    assert [r.id for r in list_tasks(store, ANA, TaskQuery())[0]] == [north, overdue]
    assert [r.id for r in list_tasks(store, BO, TaskQuery())[0]] == [south]
    assert [r.id for r in list_tasks(store, SAM, TaskQuery())[0]] == [review]
    assert {r.id for r in list_tasks(store, SAM, TaskQuery(scope="team"))[0]} == {north, review, overdue}
    assert [r.id for r in list_tasks(store, ANA, TaskQuery(due_before=NOW))[0]] == [overdue]
    claim(store, north, "ana", NOW)
    assert [r.id for r in list_tasks(store, BO, TaskQuery(scope="all"))[0]] == [review, south, north, overdue]
    assert [r.id for r in list_tasks(store, ANA, TaskQuery())[0]] == [north, overdue]  # held by her now


def test_claim_release_reassign_and_close_each_leave_an_audit_row(store: Store) -> None:
    task_id = given(store, 1, 5.0)
    held = claim(store, task_id, "ana", NOW)
    assert (held.assignee, held.claimed_at) == ("ana", NOW)
    assert claim(store, task_id, "ana", NOW).assignee == "ana"  # again: the same
    with pytest.raises(Conflict, match="held by ana: a lead may reassign it"):
        claim(store, task_id, "bo", NOW)
    with pytest.raises(Conflict, match="held by ana, not bo"):
        release(store, task_id, "bo", NOW)
    assert reassign(store, task_id, "bo", "sam", NOW).assignee == "bo"
    assert release(store, task_id, "sam", NOW, lead=True).assignee is None
    done = close(store, task_id, "bo", "call reached: promise taken", NOW)
    assert (done.state, done.closed_by, done.outcome) == ("done", "bo", "call reached: promise taken")
    with pytest.raises(Conflict, match="already done"):
        claim(store, task_id, "ana", NOW)
    audit = [(r.by, r.result, r.detail) for r in store.contact_log("ACC-1") if r.channel == "work"]
    assert [(by, result) for by, result, _ in audit] == [
        ("ana", "claimed"), ("ana", "claimed"), ("sam", "reassigned"), ("sam", "released"), ("bo", "done")
    ]  # fmt: skip
    assert audit[2][2] == f"task {task_id} (collector_call) reassigned to bo"


def test_closing_a_step_closes_its_open_tasks_once(store: Store) -> None:
    task_id = given(store, 35, 1.0)
    assert close_step(store, "ACC-1", "d035-create_call_task", "ana", "call reached", NOW) == 1
    assert close_step(store, "ACC-1", "d035-create_call_task", "ana", "again", NOW) == 0
    [row] = store.tasks("ACC-1")
    assert (row.id, row.state, row.outcome) == (task_id, "done", "call reached")


def test_a_new_account_goes_to_the_collector_with_the_fewest_open_tasks_and_keeps_its_owner(store: Store) -> None:
    from store.models import Account

    for username, team in (("ana", "north"), ("bo", "north"), ("cy", "south"), ("di", "north")):
        store.add_staff(username, username.title(), "collector", team=team)
    store.deactivate("di")
    assert store.least_loaded("collector", "north") == "ana"  # nobody holds anything: by username
    claim(store, given(store, 1, 1.0), "ana", NOW)
    assert store.least_loaded("collector", "north") == "bo"
    assert store.least_loaded("collector", "south") == "cy"
    assert store.least_loaded("collector", "east") is None
    account = Account(account_id="ACC-1", workflow_id="collection-ACC-1", debtor_name="X", timezone="UTC",
                      locale="en", segment="standard", policy="standard v1")  # fmt: skip
    store.upsert_account(account)
    store.set_owner("ACC-1", "bo", "north", "assignment rules", NOW)
    store.upsert_account(account)  # a later action records the account again: the owner stays
    kept = store.account("ACC-1")
    assert kept is not None and (kept.owner, kept.team) == ("bo", "north")


def test_a_callback_moves_the_due_time_and_is_audited(store: Store) -> None:
    from store.queue import reschedule

    task_id = given(store, 35, 1.0)
    later = NOW + timedelta(days=3)
    assert reschedule(store, task_id, later, "li.na", NOW).due_at == later
    [audit] = [r for r in store.contact_log("ACC-1") if r.channel == "work"]
    assert (audit.by, audit.result) == ("li.na", "rescheduled")
