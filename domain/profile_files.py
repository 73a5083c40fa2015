"""What configuration profiles share (creditors, law firms): frozen, no unknown field, errors naming the field."""

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def reasons(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in error.errors())


P = TypeVar("P", bound=Profile)


def load_profiles(folder: Path, model: type[P], what: str) -> dict[str, P]:
    """Every profile of `model` in `folder` (one TOML file each; none: no folder), by id, which defaults to the
    file's name; an invalid file or two files with one id stop the load, naming the file and the reason."""
    profiles: dict[str, P] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            raw.setdefault("id", path.stem)
            profile = model.model_validate(raw)
        except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
            reason = reasons(error) if isinstance(error, ValidationError) else str(error)
            raise ValueError(f"{what} {path}: {reason}") from None
        key = str(profile.model_dump(include={"id"})["id"])
        if key in profiles:
            raise ValueError(f"{what} {key!r} has two files in {folder}")
        profiles[key] = profile
    return profiles
