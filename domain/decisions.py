"""What the planner decides for an account now (domain.planner): act, skip, wait, defer, or close. The workflow
carries the decision out and plans again."""

from dataclasses import dataclass
from datetime import datetime

from domain.actions import ActionRequest
from domain.policy import Step


@dataclass(frozen=True)
class Act:
    """Run this step's activity now, then plan again."""

    step: Step
    day: int
    request: ActionRequest
    why: str | None = None  # for the history, when the step is not where the ladder would have it


@dataclass(frozen=True)
class Skip:
    """Record that this step will not run, and why, then plan again."""

    step: Step
    day: int
    reason: str


@dataclass(frozen=True)
class Wait:
    """Sleep until `until` (None: until something happens), unless a signal changes the state first."""

    until: datetime | None
    step: Step | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Defer:
    """The step is due but its contact window is closed: wait until it opens (the history says why)."""

    step: Step
    until: datetime
    reason: str
    wake: datetime | None = None  # something else is due sooner: plan again then


@dataclass(frozen=True)
class Close:
    outcome: str
    reason: str


Decision = Act | Skip | Defer | Wait | Close
