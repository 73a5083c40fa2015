"""What configuration profiles share (creditors, law firms, agencies): frozen, no unknown field, errors naming the
field; an id, a registered name and its translations; one TOML file each."""

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.bounds import Name
from domain.events import Identifier


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Registered(Profile):
    """A party we name in what we send: its id, its name as registered, and that name in other languages."""

    id: Identifier
    name: Name = Field(description="the name, as registered")
    names: dict[str, Name] = Field(default={}, description="the name in other letter languages, by locale")

    def name_in(self, locale: str) -> str:
        return self.names.get(locale, self.name)


def reasons(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in error.errors())


P = TypeVar("P", bound=Registered)


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
        if profile.id in profiles:
            raise ValueError(f"{what} {profile.id!r} has two files in {folder}")
        profiles[profile.id] = profile
    return profiles


M = TypeVar("M", bound=BaseModel)


def load_files(folder: Path, model: type[M], what: str) -> list[M]:
    """Every TOML file of `folder` as `model` (none: no folder), in name order; an invalid one stops the load, naming
    the file and the reason."""
    found = []
    for path in sorted(folder.glob("*.toml")):
        try:
            found.append(model.model_validate(tomllib.loads(path.read_text(encoding="utf-8"))))
        except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
            raise ValueError(f"invalid {what} file {path}: {error}") from error
    return found


def check_unique(names: list[str], what: str, folder: Path) -> None:
    if len(set(names)) != len(names):
        raise ValueError(f"two {what}s in {folder} share a name")
