from typing import Annotated, List

import pydantic

Sku = Annotated[str, pydantic.Field(pattern=r"^[A-Z]{3}-\d{4}$")]


class StockLine(pydantic.BaseModel):
    sku: Sku
    quantity: int = pydantic.Field(ge=0)


class Delivery(pydantic.BaseModel):
    supplier: str = pydantic.Field(min_length=1, pattern=r"^\S.*$")
    lines: List[StockLine]
