"""Court fees as data: a jurisdiction's schedule of progressive bands by the amount in dispute (the acceptance fee,
the enforcement application fee, the preservation fee), from a TOML file in `policies/court-fees/`. The PRC's
《訴訟費用交納辦法》 ships as the example (`cn.toml`). Used by the cost test before suing (domain.suit_costs; seed
000: sue when the debt is at least three times the expected cost)."""

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from domain.events import currency_code
from domain.money import to_minor
from domain.profile_files import Profile, reasons

FOLDER = Path(__file__).resolve().parent.parent / "policies" / "court-fees"


class Band(Profile):
    """The part of the amount up to `up_to` (the last band: no limit) above the band before: `rate` of it, plus
    `fixed` once."""

    up_to: Decimal | None = Field(default=None, gt=0)
    rate: Decimal = Field(default=Decimal(0), ge=0, le=1)
    fixed: Decimal = Field(default=Decimal(0), ge=0)


class Limits(Profile):
    filing: Decimal | None = Field(default=None, gt=0)
    enforcement: Decimal | None = Field(default=None, gt=0)
    preservation: Decimal | None = Field(default=None, gt=0)


class FeeSchedule(Profile):
    name: str
    currency: str
    filing: list[Band] = Field(min_length=1)
    enforcement: list[Band] = Field(min_length=1)
    preservation: list[Band] = Field(default=[])
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _bands_in_order(self) -> "FeeSchedule":
        currency_code(self.currency)
        for kind in ("filing", "enforcement", "preservation"):
            bands: list[Band] = getattr(self, kind)
            limits = [band.up_to for band in bands]
            if bands and (limits[-1] is not None or None in limits[:-1]):
                raise ValueError(f"{kind}: every band but the last has an up_to, the last none")
            bounded = [limit for limit in limits if limit is not None]
            if bounded != sorted(set(bounded)):
                raise ValueError(f"{kind}: the bands' up_to rise strictly")
        return self

    def fee(self, kind: str, amount: Decimal) -> Decimal:
        """The fee of `kind` (filing, enforcement, preservation) for `amount` in dispute, in the currency's minor
        unit."""
        total, floor = Decimal(0), Decimal(0)
        for band in getattr(self, kind):
            if amount <= floor:
                break
            top = amount if band.up_to is None else min(amount, band.up_to)
            total += band.fixed + (top - floor) * band.rate
            floor = band.up_to if band.up_to is not None else amount
        cap = getattr(self.limits, kind)
        return to_minor(min(total, cap) if cap is not None else total, self.currency)


def load_schedule(name: str, folder: Path = FOLDER) -> FeeSchedule:
    path = folder / f"{name}.toml"
    try:
        return FeeSchedule.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
        reason = reasons(error) if isinstance(error, ValidationError) else str(error)
        raise ValueError(f"court fee schedule {path}: {reason}") from None


def schedule_beside(name: str, folder: Path) -> FeeSchedule:
    """The schedule `name` from `court-fees/` in `folder` (a policy's own), else the shipped one."""
    own = folder / "court-fees"
    return load_schedule(name, own if (own / f"{name}.toml").exists() else FOLDER)
