"""Cloud module implementation."""
from pydantic import BaseModel

from .module import Module


class CloudInfo(BaseModel):
    """Container for cloud settings."""

    binded: bool
    cld_connection: int
    server: str
    username: str


class Cloud(Module):
    """Module implementing support for cloud services."""

    @property
    def is_connected(self) -> bool:
        return self.info.cld_connection == 1

    @property
    def info(self) -> CloudInfo:
        return CloudInfo.parse_obj(self.data["get_info"])
