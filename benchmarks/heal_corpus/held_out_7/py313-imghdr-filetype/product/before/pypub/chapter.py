"""
Chapter Object Definition
"""
from dataclasses import dataclass
from typing import Optional

#** Variables **#
__all__ = ['Chapter']

#** Classes **#

@dataclass
class Chapter:
    """a chapter of html content, with the url it was taken from (if any)"""
    title: str
    content: str
    url: Optional[str] = None
