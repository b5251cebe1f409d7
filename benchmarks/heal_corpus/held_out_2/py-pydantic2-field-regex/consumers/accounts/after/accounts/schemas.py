from typing import Optional

from pydantic import BaseModel, Field

USERNAME_RE = r"^[a-z0-9_]{3,32}$"


class SignUp(BaseModel):
    username: str = Field(..., pattern=USERNAME_RE)
    email: str
    referral: Optional[str] = Field(None, pattern=r"^[A-Z0-9]{8}$", description="An invite code, if any.")
