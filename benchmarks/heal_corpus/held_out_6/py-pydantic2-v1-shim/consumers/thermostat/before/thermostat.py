from typing import Optional

from pydantic import BaseModel, root_validator


class Setpoint(BaseModel):
    celsius: Optional[float] = None
    fahrenheit: Optional[float] = None

    @root_validator
    def fill_other_unit(cls, values):
        c, f = values.get("celsius"), values.get("fahrenheit")
        if c is None and f is None:
            raise ValueError("give celsius or fahrenheit")
        if c is None:
            values["celsius"] = round((f - 32) * 5 / 9, 1)
        elif f is None:
            values["fahrenheit"] = round(c * 9 / 5 + 32, 1)
        return values


def parse(raw):
    return Setpoint.parse_obj(raw)
