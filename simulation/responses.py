"""The debtor response model: after each action that reaches them, what a debtor does, with what probability, and
when. By action kind, segment and stage (the most specific row of the model's `answers` that matches). Between
actions a debtor may also pay with nobody asking (`spontaneous`, a chance a day).

What a debtor can do (`ANSWERS`; the rest of the probability is silence):
- `pay`: pays all that is owed;
- `partial`: pays `partial_share` of what is owed, and the ladder goes on for the rest;
- `promise_kept` / `promise_broken`: promises all that is owed `promise_days` later, and pays on the day, or not;
- `dispute` / `dispute_upheld`: disputes the whole balance, decided `dispute_days` later: rejected (collection
  resumes) or upheld (the balance is cancelled).
Each answer comes `delays` days after the action (one of them, in the `delay_shares`); a debtor who has answered
draws nothing more until the answer is played out."""

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.kinds import DEBTOR_CONTACT, ActionKind

ANSWERS = ("pay", "partial", "promise_kept", "promise_broken", "dispute", "dispute_upheld")
ANY = "*"
DEFAULT_MODEL = Path(__file__).resolve().parent / "default-responses.toml"
Probability = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Answers(Strict):
    """One row: where it applies (`*`: anywhere) and the chance of each answer after one action."""

    action: str = ANY
    segment: str = Field(default=ANY, max_length=100)
    stage: str = Field(default=ANY, max_length=100)
    pay: Probability = 0
    partial: Probability = 0
    promise_kept: Probability = 0
    promise_broken: Probability = 0
    dispute: Probability = 0
    dispute_upheld: Probability = 0

    @model_validator(mode="after")
    def _valid(self) -> "Answers":
        if self.action != ANY and self.action not in {k.value for k in DEBTOR_CONTACT}:
            contact = ", ".join(sorted(k.value for k in DEBTOR_CONTACT))
            raise ValueError(f"action {self.action!r} is not an action that reaches the debtor ({contact}, or *)")
        if sum(self.chances()) > 1 + 1e-9:
            raise ValueError(f"answers for {self.where()} add up to {sum(self.chances()):.4f}, more than 1")
        return self

    def chances(self) -> tuple[float, ...]:
        return tuple(getattr(self, answer) for answer in ANSWERS)

    def where(self) -> str:
        return f"action={self.action} segment={self.segment} stage={self.stage}"

    def specificity(self) -> tuple[bool, bool, bool]:
        return (self.action != ANY, self.segment != ANY, self.stage != ANY)


class Timing(Strict):
    delays: list[Annotated[int, Field(ge=0, le=60)]] = Field(default=[1, 2, 4, 7], min_length=1, max_length=30)
    delay_shares: list[Probability] = Field(default=[0.4, 0.3, 0.2, 0.1], min_length=1, max_length=30)
    promise_days: int = Field(default=10, ge=1, le=30)
    partial_share: float = Field(default=0.5, gt=0, lt=1)
    dispute_days: int = Field(default=21, ge=1, le=365)

    @model_validator(mode="after")
    def _shares(self) -> "Timing":
        if len(self.delays) != len(self.delay_shares):
            raise ValueError("timing: delays and delay_shares must have the same length")
        if abs(sum(self.delay_shares) - 1) > 1e-6:
            raise ValueError(f"timing: delay_shares must add up to 1, not {sum(self.delay_shares):.4f}")
        return self


class ResponseModel(Strict):
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    timing: Timing = Timing()
    spontaneous: dict[str, Probability] = Field(
        default={ANY: 0.0}, description="a debtor's chance a day of paying unasked, by segment (*: the others)"
    )
    answers: list[Answers] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _complete(self) -> "ResponseModel":
        if not any(row.specificity() == (False, False, False) for row in self.answers):
            raise ValueError('answers: a row for every action, segment and stage ("*") is needed, as the default')
        if ANY not in self.spontaneous:
            raise ValueError('spontaneous: a "*" entry is needed, for segments not listed')
        return self

    def answers_for(self, action: ActionKind, segment: str, stage: str) -> Answers:
        """The most specific row that matches (the action counts most, then the segment); the last of equals."""
        matching = [
            row for row in self.answers
            if row.action in (ANY, action.value) and row.segment in (ANY, segment) and row.stage in (ANY, stage)
        ]  # fmt: skip
        return max(reversed(matching), key=Answers.specificity)

    def daily_payment(self, segment: str) -> float:
        return self.spontaneous.get(segment, self.spontaneous[ANY])


def load_model(path: Path = DEFAULT_MODEL) -> ResponseModel:
    try:
        return ResponseModel.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
        raise ValueError(f"invalid response model {path}: {error}") from error
