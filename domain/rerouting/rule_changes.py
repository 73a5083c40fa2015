"""A supervisor changes the rules an account runs under: another policy (migrate_policy, its ladder mapped onto the
new one), or the limitation period set aside (override_limitation)."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import Migration
from domain.commands import MigratePolicy, OverrideLimitation
from domain.planner import ladder_day
from domain.rerouting.common import CommandRejected, _open, _record, seen


def check_migrate(state: AccountState, command: MigratePolicy, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    old, new = state.policy, command.policy
    if (new.name, new.version) == (old.name, old.version):
        raise CommandRejected(f"the account is already on {old.name} v{old.version}")
    if new.day_seconds != old.day_seconds:
        raise CommandRejected("cannot move an account between compressed and calendar time")
    if state.with_legal_since:
        raise CommandRejected("the case is with the legal team: its ladder is over")
    if ladder_day(state, now) is None:
        raise CommandRejected("nothing collectible to re-plan (the whole balance is disputed)")
    stages = [s.name for s in new.stages]
    if command.mapping == "restart_at_stage" and command.stage not in stages:
        raise CommandRejected(f"restart_at_stage needs a stage of {new.name}: one of {', '.join(stages)}")
    if command.mapping == "keep_day" and command.stage is not None:
        raise CommandRejected("a stage goes only with restart_at_stage")


def apply_migrate(state: AccountState, command: MigratePolicy, now: datetime) -> None:
    """Swap the policy and map the ladder onto it. Interest rates stay as the invoices were opened with
    (contract terms); the new policy's fees, contact rules and steps apply from now on."""
    if seen(state, command):
        return
    old, new = state.policy, command.policy
    before = ladder_day(state, now)
    assert before is not None  # checked
    state.policy = new
    keys = {s.key for s in new.steps}
    for key in [k for k, a in state.approvals.items() if a.state == "pending" and k not in keys]:
        del state.approvals[key]  # the step it would approve is gone
    if state.stage_cap not in {s.name for s in new.stages}:
        state.stage_cap = None
    state.deferred.clear()
    if command.mapping == "restart_at_stage":
        assert command.stage is not None
        after = new.stage_start(command.stage)
        state.shift_days += before - after
        state.generation += 1  # new idempotency keys: the restarted steps are sent again
        state.stage_cap = None
        for step in new.steps:
            if step.day >= after:
                state.handled.pop(step.key, None)
                state.approvals.pop(step.key, None)
                for key in [k for k in state.handled if k.startswith(f"approval-{step.key}-")]:
                    del state.handled[key]
    else:
        after, known = before, {s.key for s in old.steps}
        for step in new.steps:  # steps the new ladder adds in the past are not made up for at once
            if step.day < before and step.key not in known and step.key not in state.handled:
                state.record_step(now, step.key, "skipped", f"{step.key}: before the policy migration (day {before})",
                                  before)  # fmt: skip
    state.migrations.append(
        Migration(from_policy=f"{old.name} v{old.version}", to_policy=f"{new.name} v{new.version}",
                  mapping=command.mapping, stage=command.stage, day_before=before, day_after=after, by=command.by,
                  reason=command.reason, at=now)
    )  # fmt: skip
    where = f"restart at {command.stage}" if command.stage else "keep the day"
    detail = f"{old.name} v{old.version} → {new.name} v{new.version}, {where} (ladder day {before} → {after})"
    _record(state, command, now, "migrate_policy", f"{detail}: {command.reason}")


def apply_override(state: AccountState, command: OverrideLimitation, now: datetime) -> None:
    if seen(state, command):
        return
    state.limitation_override = f"{command.reason} (by {command.by})"
    _record(state, command, now, "override_limitation", command.reason)
