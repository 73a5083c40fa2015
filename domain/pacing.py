"""When a step that reaches the debtor may go: its channel's window (letters: the creditor's office hours), the public
holidays of the debtor's country, the channel's caps and, on the ladder, at most so many debtor contacts a day (so a
late entrant or a jump is not a burst); and whether the contact detail it needs is on file."""

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.account import AccountState
from domain.bounds import phone_country
from domain.caps import caps_allow
from domain.contact_rules import Window
from domain.contact_window import country_of, deferral_reason, next_permitted
from domain.decisions import Defer
from domain.kinds import CONTACT_NEEDS, DEBTOR_CONTACT, KINDS, WINDOW_OF_ACTION, ActionKind
from domain.policy import Step


def missing_detail(state: AccountState, action: ActionKind) -> str | None:
    """Why the debtor cannot be reached by this action: the contact detail it needs is not on file. Letters need a
    postal address from rules 5 (before, they went to a print queue unaddressed)."""
    need = CONTACT_NEEDS.get(action)
    if need == "address" and state.rules < 5:
        return None
    return f"no {need} on file" if need and not getattr(state.debtor, need) else None


def pace(state: AccountState, step: Step, now: datetime, ladder: bool = False) -> Defer | None:
    """Defer a step that reaches the debtor outside its channel's window (hours, weekdays, public holidays) or
    over its caps; from rules 4 letters keep office hours, and the ladder makes at most
    `ladder_contacts_per_day` debtor contacts a day (so a late entrant or a jump is not a burst)."""
    if state.debtor is None:
        return None
    limits = [_spread(state, now)] if ladder and state.rules >= 4 and step.action in DEBTOR_CONTACT else []
    channel, window = _channel_window(state, step)
    compressed = state.policy.day_seconds is not None  # compressed test time has no hours of the day
    if window is not None and not compressed:
        zone = ZoneInfo(window.timezone or state.debtor.timezone)
        country = country_of(window.timezone) if window.timezone else holiday_country(state)
        limits.append(caps_allow(state, channel, now, zone) if channel else None)
        earliest, why = max(((at, why) for at, why in (lim for lim in limits if lim)), default=(now, None))
        opens = next_permitted(earliest, window, zone, country)
        if opens == now:
            return None
        return Defer(step, opens, why or deferral_reason(now, window, zone, country))
    later = max((lim for lim in limits if lim), default=None)
    return Defer(step, later[0], later[1]) if later else None


def _channel_window(state: AccountState, step: Step) -> tuple[str | None, Window | None]:
    """The channel whose caps govern the step, and the window it keeps (letters: office hours, from rules 4)."""
    channel = WINDOW_OF_ACTION.get(step.action)
    if channel is not None:
        return channel, state.policy.contact.windows.get(channel)
    if state.rules >= 4 and step.action in DEBTOR_CONTACT and KINDS[step.action].output == "letter":
        return None, state.policy.contact.office_hours
    return None, None


def _spread(state: AccountState, now: datetime) -> tuple[datetime, str] | None:
    """Tomorrow at the policy's hour, when the ladder has made today's debtor contacts already."""
    clock, limit = state.clock(), state.policy.contact.ladder_contacts_per_day
    contacts = {s.key for s in state.policy.steps if s.action in DEBTOR_CONTACT}
    today, made = clock.local_day(now), 0
    for entry in reversed(state.history):
        if clock.local_day(entry.at) < today:
            break
        made += entry.kind == "action" and entry.step in contacts
    if made < limit:
        return None
    return clock.moment(today, 1), f"deferred: at most {limit} debtor contact(s) a day from the ladder"


def holiday_country(state: AccountState) -> str | None:
    """Whose public holidays hold: the debtor's stated country, else (rules 2) their phone's, else their timezone's."""
    assert state.debtor is not None
    debtor = state.debtor
    return country_of(debtor.timezone, debtor.country or (phone_country(debtor.phone) if state.rules >= 2 else None))


def unreachable_by_post(state: AccountState) -> bool:
    """Rules 9: contact lost on phone and email, and the last letter came back: letters stop too, until a skip trace
    finds new details (a returned letter counts towards lost contact)."""
    return state.rules >= 9 and state.lost_contact is not None and state.failures.get("post", 0) > 0
