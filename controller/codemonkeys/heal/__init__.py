"""Heal: the LLM strategy of self-healing builds, and the checks every proposed patch passes.

When a product's build is red, the build actuator (``act/``) may try ``build.heal``: it reads the failing
log and the code at the failing commit, asks for a patch, checks it, proves it on a branch, and the
constitution decides whether it merges. This package holds the pure parts and the model client; it runs
no git and touches no store (the actuator does both):

    CI log -> failure.locations / failure.excerpt -> prompt.gather_context -> prompt.build_messages
           -> llm.ask_for_patch (Ollama, ``heal`` extra) -> llm.extract_diff -> patches.check_patch
"""

from codemonkeys.heal.failure import Location, excerpt, locations
from codemonkeys.heal.llm import LLMAnswer, LLMError, OllamaSettings, ask_for_patch, extract_diff
from codemonkeys.heal.patches import DEFAULT_PROTECTED, PatchInfo, check_patch, inspect_patch
from codemonkeys.heal.prompt import Commit, PromptContext, Relevance, Snippet, build_messages, gather_context

__all__ = [
    "DEFAULT_PROTECTED",
    "Commit",
    "LLMAnswer",
    "LLMError",
    "Location",
    "OllamaSettings",
    "PatchInfo",
    "PromptContext",
    "Relevance",
    "Snippet",
    "ask_for_patch",
    "build_messages",
    "check_patch",
    "excerpt",
    "extract_diff",
    "gather_context",
    "inspect_patch",
    "locations",
]
