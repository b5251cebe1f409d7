from typing import List

try:
    from pydantic.v1 import BaseModel, root_validator, validator
except ImportError:
    from pydantic import BaseModel, root_validator, validator


class Line(BaseModel):
    sku: str
    qty: int


class OrderForm(BaseModel):
    customer: str
    email: str
    lines: List[Line]

    class Config:
        anystr_strip_whitespace = True

    @validator("email")
    def lower_email(cls, v):
        return v.lower()

    @root_validator()
    def no_duplicate_skus(cls, values):
        skus = [line.sku for line in values.get("lines", [])]
        if len(skus) != len(set(skus)):
            raise ValueError("duplicate sku")
        return values


def clean(raw):
    return OrderForm.parse_obj(raw).dict()
