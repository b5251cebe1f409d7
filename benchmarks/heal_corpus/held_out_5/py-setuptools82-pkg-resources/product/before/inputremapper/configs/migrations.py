"""Migration functions.

Only write changes to disk, if there actually are changes. Otherwise file-modification
dates are destroyed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator, Tuple, Dict, List

import pkg_resources

from inputremapper.configs.paths import CONFIG_PATH, get_preset_path
from inputremapper.logger import logger, VERSION


def all_presets() -> Iterator[Tuple[os.PathLike, Dict | List]]:
    """Get all presets for all groups as list."""
    if not os.path.exists(get_preset_path()):
        return
    for folder in sorted(Path(get_preset_path()).iterdir()):
        if not folder.is_dir():
            continue
        for preset in sorted(folder.iterdir()):
            if preset.suffix != ".json":
                continue
            try:
                with open(preset, "r") as f:
                    yield preset, json.load(f)
            except json.decoder.JSONDecodeError:
                logger.warning('Invalid json format in preset "%s"', preset)


def config_version():
    """Get the version string in config.json as packaging.Version object."""
    config_path = os.path.join(CONFIG_PATH, "config.json")

    if not os.path.exists(config_path):
        return pkg_resources.parse_version("0.0.0")

    with open(config_path, "r") as file:
        config = json.load(file)

    if "version" in config.keys():
        return pkg_resources.parse_version(config["version"])

    return pkg_resources.parse_version("0.0.0")


def _config_suffix():
    """Append the .json suffix to the config file."""
    deprecated_path = os.path.join(CONFIG_PATH, "config")
    config_path = os.path.join(CONFIG_PATH, "config.json")
    if os.path.exists(deprecated_path) and not os.path.exists(config_path):
        logger.info('Moving "%s" to "%s"', deprecated_path, config_path)
        os.rename(deprecated_path, config_path)


def _preset_path():
    """Move presets of < 0.4.0 from the config folder into the 'presets' subfolder."""
    if os.path.exists(get_preset_path()) or not os.path.exists(CONFIG_PATH):
        return
    groups = [g for g in os.listdir(CONFIG_PATH) if os.path.isdir(os.path.join(CONFIG_PATH, g))]
    os.makedirs(get_preset_path())
    for group in groups:
        os.rename(os.path.join(CONFIG_PATH, group), get_preset_path(group))


def _mapping_keys():
    """Update all preset mappings from "key,value" strings to ["key", "value"] lists."""
    for preset, structure in all_presets():
        if isinstance(structure, list):
            continue
        mapping = structure.get("mapping", {})
        changed = False
        for key in list(mapping):
            if isinstance(mapping[key], str) and "," in mapping[key]:
                mapping[key] = mapping[key].split(",", 1)
                changed = True
        if changed:
            with open(preset, "w") as f:
                json.dump(structure, f, indent=4)


def _add_target():
    """Add the target field "keyboard" to each mapping of < 1.4.0."""
    for preset, structure in all_presets():
        if isinstance(structure, list):
            continue
        mapping = structure.get("mapping", {})
        changed = False
        for key, value in mapping.items():
            if isinstance(value, str):
                mapping[key] = [value, "keyboard"]
                changed = True
        if changed:
            with open(preset, "w") as f:
                json.dump(structure, f, indent=4)


def _otherwise_to_else():
    """Conditional macros use "else" instead of "otherwise" since 1.4.1."""
    for preset, structure in all_presets():
        if isinstance(structure, list):
            continue
        text = json.dumps(structure)
        if "otherwise=" in text:
            with open(preset, "w") as f:
                json.dump(json.loads(text.replace("otherwise=", "else=")), f, indent=4)


def _remove_logs():
    """The log was moved out of the config folder in 1.5.0."""
    log = os.path.join(CONFIG_PATH, "log")
    if os.path.exists(log):
        os.remove(log)


def _convert_to_individual_mappings():
    """Presets of 1.6.0 are a list of mappings instead of a dict."""
    for preset, structure in all_presets():
        if isinstance(structure, list):
            continue
        mappings = [
            {"input_combination": key, "output_symbol": value[0], "target_uinput": value[1]}
            for key, value in structure.get("mapping", {}).items()
        ]
        with open(preset, "w") as f:
            json.dump(mappings, f, indent=4)


def _update_version():
    """Write the current version to the config file."""
    config_file = os.path.join(CONFIG_PATH, "config.json")
    if not os.path.exists(config_file):
        return
    with open(config_file, "r") as file:
        config = json.load(file)
    config["version"] = VERSION
    with open(config_file, "w") as file:
        logger.info('Updating version in config to "%s"', VERSION)
        json.dump(config, file, indent=4)


def migrate():
    """Migrate config files to the current release."""

    v = config_version()

    if v < pkg_resources.parse_version("0.4.0"):
        _config_suffix()
        _preset_path()

    if v < pkg_resources.parse_version("1.2.2"):
        _mapping_keys()

    if v < pkg_resources.parse_version("1.4.0"):
        _add_target()

    if v < pkg_resources.parse_version("1.4.1"):
        _otherwise_to_else()

    if v < pkg_resources.parse_version("1.5.0"):
        _remove_logs()

    if v < pkg_resources.parse_version("1.6.0-beta"):
        _convert_to_individual_mappings()

    # add new migrations here

    if v < pkg_resources.parse_version(VERSION):
        _update_version()
