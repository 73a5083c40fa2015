"""Turning 'day N past due' into instants, in the debtor's timezone or in compressed test time."""

from datetime import UTC, date, datetime, timedelta
from math import ceil, floor
from zoneinfo import ZoneInfo

from domain.policy import Policy


class Timeline:
    """Calendar days in the debtor's timezone, or, when the policy sets `day_seconds`, compressed days
    counted from the moment the account opened (so a 105-day ladder can run in seconds on a real server)."""

    def __init__(self, policy: Policy, timezone: str, opened_at: datetime, opened_day: date) -> None:
        self.policy = policy
        self.zone = ZoneInfo(timezone)
        self.opened_at = opened_at
        self.opened_day = opened_day

    def local_day(self, now: datetime) -> date:
        """The debtor's calendar day at `now` (compressed: the day the account clock shows)."""
        if self.policy.day_seconds is None:
            return now.astimezone(self.zone).date()
        elapsed = (now - self.opened_at).total_seconds() / self.policy.day_seconds
        return self.opened_day + timedelta(days=floor(elapsed))

    def days_past(self, due: date, now: datetime) -> int:
        return (self.local_day(now) - due).days

    def moment(self, due: date, day: int) -> datetime:
        """When the action of `day` days past `due` is taken."""
        target = due + timedelta(days=day)
        if self.policy.day_seconds is None:
            return datetime.combine(target, self.policy.send_at, tzinfo=self.zone).astimezone(UTC)
        return self.opened_at + timedelta(seconds=(target - self.opened_day).days * self.policy.day_seconds)

    def span(self, days: int) -> timedelta:
        """How long `days` ladder days last."""
        if self.policy.day_seconds is None:
            return timedelta(days=days)
        return timedelta(seconds=days * self.policy.day_seconds)

    def days_between(self, start: datetime, end: datetime) -> int:
        """Whole ladder days from start to end, rounded up: a hold of a few hours still moves deadlines a day."""
        if self.policy.day_seconds is None:
            return (self.local_day(end) - self.local_day(start)).days
        return ceil((end - start).total_seconds() / self.policy.day_seconds)
