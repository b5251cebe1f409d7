"""Logging and the version of input-remapper."""
import logging

VERSION = "2.0.1"

logger = logging.getLogger("input-remapper")
