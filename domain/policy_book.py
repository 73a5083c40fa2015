"""The policy folder: every policy file of it loaded (with the court fee schedule each names and the agencies beside
it), which one serves each debtor segment and which serve a segment's larger debts, and the experiments splitting new
accounts between a champion and challengers (domain/experiments.py)."""

import tomllib
from decimal import Decimal
from pathlib import Path

from domain.agencies import load_agencies
from domain.court_fees import schedule_beside
from domain.experiments import check_experiments, load_experiments
from domain.policy import DEFAULT_POLICY_DIR, Policy


def load_policy(path: Path) -> Policy:
    """A policy file, holding the court fee schedule it names and the agencies in `agencies/` beside it."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        named = raw.get("litigation", {}).get("court_fees")
        if isinstance(named, str) and "schedule" not in raw["litigation"]:
            raw["litigation"]["schedule"] = schedule_beside(named, path.parent).model_dump()
        raw.setdefault("agencies", {key: agency.model_dump() for key, agency in load_agencies(path.parent).items()})
        return Policy.model_validate(raw)
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise ValueError(f"invalid policy file {path}: {error}") from error


class PolicyBook:
    """Every policy in a folder, which one serves each debtor segment, and which serve a segment's larger debts
    (`bands`: the policy an account starts under is chosen from its first invoice, `for_invoice`)."""

    def __init__(self, folder: Path = DEFAULT_POLICY_DIR, creditors: frozenset[str] | None = None) -> None:
        self.folder = folder
        self.creditors = creditors  # the creditor profiles' ids, where known here: invoices naming another are refused
        self.by_segment: dict[str, Policy] = {}
        self.bands: dict[tuple[str, str], list[tuple[Decimal, Policy]]] = {}
        self.named: dict[str, Policy] = {}  # every policy of the folder, those serving no segment (challengers) too
        for path in sorted(folder.glob("*.toml")):
            policy = load_policy(path)
            if policy.name in self.named:
                raise ValueError(f"two policies in {folder} are called {policy.name!r}")
            self.named[policy.name] = policy
            for segment in policy.segments:
                if segment in self.by_segment:
                    raise ValueError(f"segment {segment!r} is claimed by two policies in {folder}")
                self.by_segment[segment] = policy
            for band in policy.bands:
                rows = self.bands.setdefault((band.segment, band.currency), [])
                if any(start == band.from_amount for start, _ in rows):
                    raise ValueError(f"two policies in {folder} claim segment {band.segment!r} from "
                                     f"{band.from_amount} {band.currency}")  # fmt: skip
                rows.append((band.from_amount, policy))
        if not self.by_segment:
            raise ValueError(f"no policies found in {folder}")
        for policy in self.all():
            self.check_creditor(policy.creditor, f"policy {policy.name}")
        unserved = sorted({segment for segment, _ in self.bands} - set(self.by_segment))
        if unserved:
            raise ValueError(f"bands name segment(s) no policy serves below them: {', '.join(unserved)}")
        self.experiments = load_experiments(folder)
        check_experiments(self.experiments, self.by_name)

    def for_invoice(self, segment: str, currency: str, amount: Decimal) -> Policy:
        """The policy an account starts under: the segment's, or the one whose band for the invoice's currency the
        amount reaches (the highest such band)."""
        base = self.for_segment(segment)
        reached = [(start, policy) for start, policy in self.bands.get((segment, currency), []) if amount >= start]
        return max(reached, key=lambda band: band[0])[1] if reached else base

    def for_account(self, account_id: str, segment: str, currency: str, amount: Decimal) -> tuple[Policy, str | None]:
        """The policy a new account starts under and its experiment arm (None: in no experiment): `for_invoice`'s
        choice, or a challenger's where an experiment splits the accounts of that policy."""
        policy = self.for_invoice(segment, currency, amount)
        for experiment in self.experiments:
            if experiment.applies(segment, policy.name):
                name, arm = experiment.arm(account_id)
                return self.by_name(name), arm
        return policy, None

    def all(self) -> list[Policy]:
        """Every policy of the folder, once."""
        return list(self.named.values())

    def check_creditor(self, creditor: str | None, where: str) -> None:
        """ValueError if `creditor` names no profile (when the profiles are known here)."""
        if creditor is not None and self.creditors is not None and creditor not in self.creditors:
            raise ValueError(f"{where} names creditor {creditor!r}, which has no profile (known: "
                             f"{', '.join(sorted(self.creditors))})")  # fmt: skip

    def by_name(self, name: str) -> Policy:
        """The policy called `name` in the folder (raises ValueError naming the known ones)."""
        if name not in self.named:
            raise ValueError(f"no policy {name!r} in {self.folder} (known: {', '.join(sorted(self.named))})")
        return self.named[name]

    def for_segment(self, segment: str) -> Policy:
        try:
            return self.by_segment[segment]
        except KeyError:
            known = ", ".join(sorted(self.by_segment))
            raise LookupError(f"debtor.segment: unknown segment {segment!r} (known: {known})") from None
