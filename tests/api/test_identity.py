"""Who acted is the key's, never the request's: the history's `by` is the key's username whatever the body says, an
approver's level comes from their record, and the API says who a key is."""

from typing import Literal

import pytest
from fastapi import HTTPException
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.commands import body_model, to_message
from api.errors import temporal_errors
from domain.commands import ApprovalDecision, Command
from edge.identity import Identity, identity_fields
from tests.api.conftest import Api
from tests.staff import PEOPLE

pytestmark = pytest.mark.integration

FROM_KEY = "by comes from your key, not from the request"
SUPERVISOR = Identity("wang.fang", "Wang Fang", "supervisor", "east-1", "supervisor")


async def test_the_history_says_the_keys_username_whatever_the_body_says(api: Api) -> None:
    account = await api.open_account()
    for body in ({"reason": "hospital", "by": "general_manager"}, {"reason": "hospital", "by": ""}):
        refused = await api.post(f"/v1/accounts/{account}/pause", "collector", json=body)
        assert refused.status_code == 403  # a collector may not pause, whoever they claim to be
        refused = await api.post(f"/v1/accounts/{account}/disputes", "collector", json=body)
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["detail"]
        assert error["loc"] == ["body", "by"] and error["msg"] == f"Value error, {FROM_KEY}"

    accepted = await api.post(f"/v1/accounts/{account}/disputes", "collector", json={"reason": "goods damaged"})
    assert accepted.status_code == 200, accepted.text
    [dispute] = accepted.json()["disputes"]
    assert dispute["opened_by"] == PEOPLE["collector"][0] == "li.na"
    assert any(h["detail"].startswith("open_dispute by li.na") for h in accepted.json()["history"])

    machine = await api.post(f"/v1/accounts/{account}/contact", "supervisor-key", json={"email": "ap@example.com"})
    assert machine.status_code == 200, machine.text
    assert any("update_contact by supervisor-key" in h["detail"] for h in machine.json()["history"])


async def test_the_schema_has_no_by_and_says_who_fills_it(api: Api) -> None:
    schemas = api.app.openapi()["components"]["schemas"]
    bodies = [name for name in schemas if name.endswith("Body")]
    assert bodies and all("by" not in schemas[name].get("properties", {}) for name in bodies)


async def test_me_and_the_staff_list(api: Api) -> None:
    me = await api.get("/v1/me", "manager")
    assert me.json() == {"username": "zhao.lei", "name": "Zhao Lei", "role": "manager", "team": None,
                         "level": "manager", "machine": False, "by": "zhao.lei"}  # fmt: skip
    machine = await api.get("/v1/me", "ops-key")
    assert machine.json() == {"username": "ops-key", "name": "ops key", "role": "ops", "team": None, "level": None,
                              "machine": True, "by": "ops-key"}  # fmt: skip

    people = (await api.get("/v1/staff", "admin")).json()
    assert [p["username"] for p in people] == sorted(username for username, _ in PEOPLE.values())
    assert all(set(p) == {"username", "name", "role", "team", "level", "active", "created_at"} for p in people)


class Decision(Command):
    """An approval as the domain is growing it: the approver's level travels with the decision."""

    step: str
    approver_level: Literal["supervisor", "manager", "general_manager"] | None = None


def test_an_approvers_level_comes_from_their_record_not_the_body() -> None:
    Body = body_model(Decision, path_fields=("step",))
    assert not {"by", "approver_level"} & set(Body.model_json_schema()["properties"])
    with pytest.raises(ValidationError, match="approver_level comes from your key"):
        Body(approver_level="general_manager")
    decision = to_message(Decision, Body(), {"step": "d091"}, {"command_id": "c-1"}, SUPERVISOR)
    assert (decision.by, decision.approver_level, decision.step) == ("wang.fang", "supervisor", "d091")

    machine = to_message(Decision, Body(), {"step": "d091"}, {"command_id": "c-1"}, Identity.machine_key("supervisor"))
    assert (machine.by, machine.approver_level) == ("supervisor-key", None)  # a machine has no approval level
    # The domain's own decision model: the level is filled where the model has the field, and only there.
    assert set(identity_fields(ApprovalDecision, SUPERVISOR)) == {"by"} | (
        {"approver_level"} & set(ApprovalDecision.model_fields)
    )


def test_an_update_refused_as_forbidden_is_a_403_with_its_reason() -> None:
    reason = "d091-issue_lawyer_letter needs a manager's approval; wang.fang is a supervisor"
    with pytest.raises(HTTPException) as refused, temporal_errors("ACC-1"):
        raise WorkflowUpdateFailedError(ApplicationError(reason, type="CommandForbidden"))
    assert (refused.value.status_code, refused.value.detail) == (403, reason)
    with pytest.raises(HTTPException) as conflict, temporal_errors("ACC-1"):
        raise WorkflowUpdateFailedError(ApplicationError("used", type="CommandConflict"))
    assert conflict.value.status_code == 409
