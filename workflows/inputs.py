"""The workflows' inputs and results. Their own module so that the sandbox can share it (passed through) instead of
building the pydantic models again for every workflow it creates."""

from pydantic import BaseModel, Field

from domain.account import AccountState
from domain.policy import Policy
from workflows import HISTORY_EVENTS_PER_RUN


class CollectionInput(BaseModel):
    account_id: str
    policy: Policy
    # The time-skipping test server cannot register custom search attributes: tests turn them off.
    publish_search_attributes: bool = True
    state: AccountState | None = Field(default=None, description="the account, carried across continue-as-new")
    continue_as_new_after: int = Field(default=HISTORY_EVENTS_PER_RUN, ge=10, description="history events per run")
    arm: str | None = Field(default=None, max_length=200, description="the experiment arm a new account joins")


class SnapshotInput(BaseModel):
    """MonthlySnapshotWorkflow's: the month to take (default: the month just ended)."""

    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class SnapshotResult(BaseModel):
    month: str
    accounts: int  # rows added to the month's snapshot
    warnings: list[str]
