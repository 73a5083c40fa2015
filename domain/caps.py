"""Frequency caps: how often one channel may reach the debtor (per day, conversations per day, a minimum gap, a
rolling window, a quiet period after a conversation), counted over the contacts the account has made."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.account import AccountState


def caps_allow(state: AccountState, channel: str, now: datetime, zone: ZoneInfo) -> tuple[datetime, str] | None:
    """The earliest moment the channel's caps allow another contact, and why, when that is later than now."""
    caps = state.policy.contact.caps.get(channel)
    if caps is None:
        return None
    made = sorted(c.at for c in state.contacts if c.channel == channel and c.at <= now)
    limits: list[tuple[datetime, str]] = []
    if caps.min_gap_hours is not None and made:
        limits.append((made[-1] + timedelta(hours=caps.min_gap_hours), f"at least {caps.min_gap_hours:g}h between"))
    today = now.astimezone(zone).date()
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(now.tzinfo)
    if caps.per_day is not None and sum(t.astimezone(zone).date() == today for t in made) >= caps.per_day:
        limits.append((tomorrow, f"at most {caps.per_day} a day"))
    if caps.conversations_per_day is not None:
        spoken = [c for c in state.contacts if c.channel == channel and c.conversation and c.at <= now]
        if sum(c.at.astimezone(zone).date() == today for c in spoken) >= caps.conversations_per_day:
            limits.append((tomorrow, f"at most {caps.conversations_per_day} conversations a day"))
    if caps.rolling_days is not None and caps.rolling_max is not None:
        recent = [t for t in made if t > now - timedelta(days=caps.rolling_days)]
        if len(recent) >= caps.rolling_max:
            oldest = recent[-caps.rolling_max]
            limits.append((oldest + timedelta(days=caps.rolling_days),
                           f"at most {caps.rolling_max} in {caps.rolling_days} days"))  # fmt: skip
    if caps.quiet_days_after_conversation is not None:
        spoke = [c.at for c in state.contacts if c.channel == channel and c.conversation and c.at <= now]
        if spoke:
            limits.append((max(spoke) + timedelta(days=caps.quiet_days_after_conversation),
                           f"none for {caps.quiet_days_after_conversation} days after a conversation"))  # fmt: skip
    later = [(at, why) for at, why in limits if at > now]
    if not later:
        return None
    at, why = max(later)
    return at, f"deferred: {channel} cap, {why}"
