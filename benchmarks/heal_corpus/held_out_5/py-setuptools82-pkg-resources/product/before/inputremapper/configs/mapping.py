"""One mapping of a preset: an input combination and what it is mapped to."""
from __future__ import annotations

import enum
from collections import namedtuple
from typing import Optional

import pkg_resources

from inputremapper.configs.validation import VERSION

# TODO: remove the VERSION check as soon as we no longer support
#  distributions that ship the ancient validation library

needs_workaround = pkg_resources.parse_version(
    str(VERSION)
) < pkg_resources.parse_version("1.7.1")


class MappingType(str, enum.Enum):
    KEY_MACRO = "key_macro"
    ANALOG = "analog"


Target = namedtuple("Target", ["target_uinput", "output_symbol"])


class Mapping:
    def __init__(self, input_combination: str, target_uinput: str, output_symbol: Optional[str] = None):
        self.input_combination = input_combination
        self.target = Target(target_uinput, output_symbol)

    @property
    def mapping_type(self) -> MappingType:
        return MappingType.ANALOG if self.target.output_symbol is None else MappingType.KEY_MACRO

    def dict(self):
        data = {"input_combination": self.input_combination, "target_uinput": self.target.target_uinput}
        if self.target.output_symbol is not None or needs_workaround:
            # the old validation library drops unset optional fields: write them explicitly
            data["output_symbol"] = self.target.output_symbol
        return data
