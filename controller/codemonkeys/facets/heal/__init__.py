"""Heal: the LLM strategy of self-healing builds, and the checks every proposed patch passes.

When a product's build is red, the build actuator (``act/``) may try ``build.heal``: it reads the failing
log and the code at the failing commit, asks for a patch, checks it, proves it on a branch, and the
constitution decides whether it merges. This package holds the pure parts and the model client; it runs
no git and touches no store (the actuator does both):

    CI log -> failure.locations / failure.excerpt -> prompt.gather_context -> prompt.build_messages
           -> llm.ask_for_patch (Ollama, ``heal`` extra) -> llm.extract_diff -> patches.check_patch
"""

from codemonkeys.vocab.lazyexports import lazy_exports

# the public names and the module each comes from, imported on first use (PEP 562): importing the patch
# checks (heal.patches, used by cross-repo changes) needs no extra; the prompt needs the oracle's
# tree-sitter, the client the ``heal`` extra
_EXPORTS = {
    **dict.fromkeys(("Location", "excerpt", "locations"), "codemonkeys.facets.heal.failure"),
    **dict.fromkeys(
        ("LLMAnswer", "LLMError", "OllamaSettings", "ask_for_patch", "extract_diff"),
        "codemonkeys.facets.heal.llm",
    ),
    **dict.fromkeys(
        ("DEFAULT_PROTECTED", "PatchInfo", "check_patch", "inspect_patch"), "codemonkeys.facets.heal.patches"
    ),
    **dict.fromkeys(
        ("Commit", "PromptContext", "Relevance", "Snippet", "build_messages", "gather_context"),
        "codemonkeys.facets.heal.prompt",
    ),
}


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())


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
