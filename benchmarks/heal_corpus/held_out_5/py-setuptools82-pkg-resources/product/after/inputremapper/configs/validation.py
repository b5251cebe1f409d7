"""Version of the validation library the mappings are checked with."""

VERSION = "1.7.0"
