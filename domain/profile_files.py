"""What configuration profiles share (creditors, law firms): frozen, no unknown field, errors naming the field."""

from pydantic import BaseModel, ConfigDict, ValidationError


class Profile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def reasons(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in error.errors())
