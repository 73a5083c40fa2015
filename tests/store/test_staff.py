"""The staff register on both databases: people, roles and levels, keys shown once and stored as their hash only,
revoked keys and deactivated people resolving to nobody."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

import store.staff as register
from store import ApiKey, Conflict, NotFound, Store, statements
from store.models import APPROVAL_LEVELS, STAFF_ROLES
from store.staff import parse_key


def test_people_take_their_roles_default_level(store: Store) -> None:
    for role in STAFF_ROLES:
        store.add_staff(f"p.{role}", f"Person {role}", role)
    levels = {person.role: person.approval_level for person in store.list_staff()}
    assert levels == {role: role if role in APPROVAL_LEVELS else None for role in STAFF_ROLES}
    acting = store.add_staff("acting.gm", " Zhao Lei ", "supervisor", team="east-1", level="general_manager")
    assert (acting.full_name, acting.team, acting.approval_level, acting.active) == (
        "Zhao Lei", "east-1", "general_manager", True,
    )  # fmt: skip
    assert store.staff("acting.gm") == acting and store.staff("nobody") is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (("Li.Na", "Li Na", "collector"), "username 'Li.Na': lowercase"),
        (("-li", "Li Na", "collector"), "username '-li'"),
        (("l" * 65, "Li Na", "collector"), "at most 64"),
        (("li.na", "", "collector"), "name: 1 to 200"),
        (("li.na", "x" * 201, "collector"), "name: 1 to 200"),
        (("li.na", "Li\x1bNa", "collector"), "printable"),
        (("li.na", "Li Na", "boss"), "role 'boss': one of collector, supervisor"),
        (("li.na", "Li Na", "collector", "East Team"), "team 'East Team'"),
        (("li.na", "Li Na", "manager", None, "ceo"), "level 'ceo'"),
        (("li.na", "Li Na", "collector", None, "manager"), "only leads (supervisor, manager, general_manager)"),
        (("li.na", "Li Na", "legal", None, "supervisor"), "not a legal"),
    ],
)
def test_people_out_of_bounds_are_refused_with_the_reason(store: Store, fields: tuple, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        store.add_staff(*fields)
    assert store.list_staff() == []


def test_a_username_is_never_taken_twice(store: Store) -> None:
    store.add_staff("li.na", "Li Na", "collector")
    with pytest.raises(Conflict, match=r"staff li\.na already exists"):
        store.add_staff("li.na", "Another Li", "admin")
    assert store.staff("li.na").full_name == "Li Na"  # type: ignore[union-attr]


def test_a_key_is_shown_once_and_only_its_hash_is_stored(store: Store) -> None:
    store.add_staff("li.na", "Li Na", "collector")
    key = store.issue_key("li.na")
    key_id, secret = parse_key(key)  # type: ignore[misc]
    assert key == f"ck_{key_id}_{secret}" and len(secret) == 43  # 256 bits, URL-safe base64
    [row] = store.keys("li.na")
    assert (row.key_id, row.secret_sha256) == (key_id, hashlib.sha256(secret.encode()).hexdigest())
    with store.engine.connect() as connection:  # nowhere in the database is the secret itself
        rows = [*connection.execute(text("SELECT * FROM staff")), *connection.execute(text("SELECT * FROM api_key"))]
    dumped = [str(value) for row in rows for value in row]
    assert not any(secret in value for value in dumped)

    person = store.resolve_key(key)
    assert person is not None and (person.username, person.role) == ("li.na", "collector")
    assert store.keys("li.na")[0].last_used_at is not None
    assert store.issue_key("li.na") != key and len(store.keys("li.na")) == 2


def test_wrong_malformed_and_unknown_keys_resolve_to_nobody(store: Store) -> None:
    store.add_staff("li.na", "Li Na", "collector")
    key_id, secret = parse_key(store.issue_key("li.na"))  # type: ignore[misc]
    wrong = f"ck_{key_id}_{'A' * 43}"
    for key in (wrong, f"ck_{'0' * 12}_{secret}", f"ck_{key_id}_{secret}x", f"ck_{key_id}{secret}", "", "dev-ops"):
        assert store.resolve_key(key) is None, key


def test_a_revoked_key_and_a_deactivated_person_resolve_to_nobody(store: Store) -> None:
    store.add_staff("li.na", "Li Na", "collector")
    first, second = store.issue_key("li.na"), store.issue_key("li.na")
    first_id = parse_key(first)[0]  # type: ignore[index]

    revoked = store.revoke_key(first_id)
    assert revoked.revoked_at is not None and store.revoke_key(first_id).revoked_at == revoked.revoked_at
    assert store.resolve_key(first) is None and store.resolve_key(second) is not None
    with pytest.raises(NotFound, match="no key nope"):
        store.revoke_key("nope")

    assert store.deactivate("li.na").active is False
    assert store.deactivate("li.na").active is False  # idempotent
    assert store.resolve_key(second) is None
    with pytest.raises(Conflict, match="deactivated: no key can be issued"):
        store.issue_key("li.na")
    for verb in (store.deactivate, store.issue_key):
        with pytest.raises(NotFound, match="no staff nobody"):
            verb("nobody")


def test_last_used_is_written_at_most_every_few_minutes(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_staff("li.na", "Li Na", "collector")
    key = store.issue_key("li.na")
    store.resolve_key(key)
    first = store.keys()[0].last_used_at
    store.resolve_key(key)
    assert store.keys()[0].last_used_at == first
    monkeypatch.setattr(register, "LAST_USED_EVERY", timedelta(0))
    store.resolve_key(key)
    assert store.keys()[0].last_used_at > first  # type: ignore[operator]


def test_the_database_refuses_unknown_roles_levels_and_orphan_keys(store: Store) -> None:
    """What the CHECK and FOREIGN KEY constraints hold, whatever client writes the rows."""
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(text("INSERT INTO staff (username, full_name, role, active, created_at) "
                                "VALUES ('x', 'X', 'boss', true, CURRENT_TIMESTAMP)"))  # fmt: skip
    store.add_staff("li.na", "Li Na", "collector")
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(text("UPDATE staff SET approval_level = 'ceo'"))
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        statements.insert_row(connection, ApiKey(key_id="k1", username="nobody", secret_sha256="0" * 64))
