"""Champion/challenger: an experiment splits the new accounts its champion policy would get between the champion
and challenger policies, by a hash of the account id (the same account always lands in the same arm, on any
machine), in the shares its file gives. One file per experiment in `experiments/` beside the policies:

    name = "early-letter"
    champion = "standard"                 # the policy the book gives these accounts today
    segments = ["standard"]               # only these segments' accounts (none listed: all the champion gets)
    challengers = [{ policy = "standard-early-letter", share = 0.10 }]

A challenger is a policy of the folder, usually one that serves no segment of its own (`segments = []`). The arm is
recorded on the account (its state, its facts, the `CollectionArm` search attribute) as `<experiment>/champion` or
`<experiment>/<policy>`; insight/arms.py compares the arms."""

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.profile_files import check_unique, load_files

FOLDER = "experiments"
CHAMPION = "champion"


class Challenger(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str = Field(max_length=100)
    share: float = Field(gt=0, lt=1, description="of the accounts the experiment splits")


class Experiment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    champion: str = Field(max_length=100)
    segments: list[str] = Field(default=[], max_length=100)
    challengers: list[Challenger] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _shares(self) -> "Experiment":
        total = sum(c.share for c in self.challengers)
        if total >= 1:
            raise ValueError(f"experiment {self.name}: the challengers' shares add up to {total:.4f}: the champion "
                             "must keep some")  # fmt: skip
        names = [c.policy for c in self.challengers]
        if len(set(names)) != len(names) or self.champion in names:
            raise ValueError(f"experiment {self.name}: each arm is a different policy")
        return self

    def applies(self, segment: str, policy: str) -> bool:
        return policy == self.champion and (not self.segments or segment in self.segments)

    def arm(self, account_id: str) -> tuple[str, str]:
        """(the policy, the arm) for this account: where its hash falls among the shares."""
        point = position(self.name, account_id)
        edge = 0.0
        for challenger in self.challengers:
            edge += challenger.share
            if point < edge:
                return challenger.policy, f"{self.name}/{challenger.policy}"
        return self.champion, f"{self.name}/{CHAMPION}"


def position(experiment: str, account_id: str) -> float:
    """Where an account falls in [0, 1): the first 8 bytes of SHA-256 of the experiment's name and the account id
    (the name in it, so that two experiments split the same accounts independently)."""
    digest = hashlib.sha256(f"{experiment}\0{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def check_experiments(experiments: Sequence[Experiment], policy: Callable[[str], object]) -> None:
    """ValueError if an experiment names a policy `policy` does not know, or two split the same accounts."""
    for experiment in experiments:
        for name in (experiment.champion, *(c.policy for c in experiment.challengers)):
            policy(name)
    for n, one in enumerate(experiments):
        for other in experiments[n + 1 :]:
            shared = not one.segments or not other.segments or set(one.segments) & set(other.segments)
            if one.champion == other.champion and shared:
                raise ValueError(f"experiments {one.name} and {other.name} split the same accounts")


def load_experiments(folder: Path) -> list[Experiment]:
    """Every experiment in `folder/experiments/` (none: no folder), by file name."""
    found = load_files(folder / FOLDER, Experiment, "experiment")
    check_unique([e.name for e in found], "experiment", folder / FOLDER)
    return found
