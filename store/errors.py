"""What the store's verbs refuse with: every part of the store raises these, and callers catch them by name."""


class NotFound(LookupError):
    """No row has the key asked for."""


class Conflict(ValueError):
    """The request contradicts what is already recorded (accepting a closed case, a second legal outcome)."""
