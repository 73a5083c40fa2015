"""Activities are generated from the capability table (domain.kinds) under the names recorded histories use."""

from temporalio import activity

from activities.collection import CollectionActivities
from domain.kinds import ActionKind


def test_the_worker_registers_one_activity_per_kind_under_its_recorded_name(activities: CollectionActivities) -> None:
    names = {activity._Definition.must_from_callable(fn).name for fn in activities.all()}
    assert names == {kind.value for kind in ActionKind} | {"record_decision", "log_contact"}
