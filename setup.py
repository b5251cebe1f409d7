"""Build hook: the repository's top-level folders Code Monkeys ships go into the package as data.

Everything else about the project is in ``pyproject.toml``. The repository keeps ``resources/`` (the Ansible
playbooks, Jenkinsfiles), ``schemas/`` (the JSON Schemas), ``fleet-repo-example/`` (the demo's fleet) and
``constitution/`` (the default constitution) at its top level; ``package-data`` cannot reach outside the
package, so ``build_py`` copies them into ``codemonkeys/_data/`` of the wheel (``Resources`` in
``codemonkeys/context.py`` finds them there, or at the top of a checkout). ``MANIFEST.in`` puts them in the
sdist, and the same rule (``shipped``) keeps generated files (``.cmctl/``, ``__pycache__``, a product's
``target/`` or ``node_modules/``) out of both. An editable install copies nothing: the checkout has them.
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path, PurePosixPath

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

SHIPPED = ("resources", "schemas", "fleet-repo-example", "constitution")
DATA = "_data"  # codemonkeys/_data/<folder>: context.Resources looks here first
# generated, never shipped: state, caches, builds of the example products (their .gitignore files say so)
JUNK_DIRS = {
    ".cmctl",
    ".git",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "node_modules",
    "target",
    "build",
    "dist",
    "site",
    "htmlcov",
    "coverage",
}
JUNK_FILES = ("*.py[cod]", "*.egg-info", "*.crate", "*.tgz", ".coverage", ".DS_Store")
HERE = Path(__file__).resolve().parent


def shipped(rel: str) -> bool:
    """Whether the file at ``rel`` (relative to the project, ``/``-separated) ships in the wheel or sdist:
    everything but generated files under the shipped folders, and any file outside them (setuptools'
    own selection)."""
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if not parts or parts[0] not in SHIPPED:
        return True
    if any(p in JUNK_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return False
    return not any(fnmatch.fnmatch(parts[-1], pattern) for pattern in JUNK_FILES)


def data_files(root: Path) -> list[str]:
    """The files of the shipped folders under ``root``, relative to it, sorted."""
    found = []
    for folder in SHIPPED:
        base = root / folder
        if not base.is_dir():
            raise FileNotFoundError(f"{base} is missing: build from a checkout or an sdist of Code Monkeys")
        for path in base.rglob("*"):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and shipped(rel):
                found.append(rel)
    return sorted(found)


class BuildPyWithData(build_py):
    """``build_py`` that also copies the shipped folders into ``codemonkeys/_data/``."""

    def _data_targets(self) -> list[tuple[Path, Path]]:
        if getattr(self, "editable_mode", False):
            return []  # an editable install runs from the checkout, which has the folders
        target = Path(self.build_lib) / "codemonkeys" / DATA
        return [(HERE / rel, target / rel) for rel in data_files(HERE)]

    def run(self) -> None:
        """Build the package as usual, then copy the shipped folders into it."""
        super().run()
        targets = self._data_targets()
        if targets:  # a rebuild in the same build/ leaves no file that was since removed
            shutil.rmtree(Path(self.build_lib) / "codemonkeys" / DATA, ignore_errors=True)
        for src, dst in targets:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The usual outputs and the copied data files."""
        return [*super().get_outputs(include_bytecode), *(str(dst) for _, dst in self._data_targets())]


class SdistWithoutJunk(sdist):
    """``sdist`` whose file list (``MANIFEST.in`` grafts the shipped folders) leaves generated files out."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        """Write the release tree of the shipped files only."""
        super().make_release_tree(base_dir, [f for f in files if shipped(f)])


setup(cmdclass={"build_py": BuildPyWithData, "sdist": SdistWithoutJunk})
