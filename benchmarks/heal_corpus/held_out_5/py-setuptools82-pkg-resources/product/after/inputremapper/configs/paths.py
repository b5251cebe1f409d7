"""Where the configuration lives."""
import os

CONFIG_PATH = os.environ.get(
    "INPUT_REMAPPER_CONFIG_PATH", os.path.join(os.path.expanduser("~"), ".config", "input-remapper-2")
)


def get_preset_path(group_name=None, preset=None):
    """Get a path to the stored preset, or to store a preset to."""
    presets_base = os.path.join(CONFIG_PATH, "presets")
    if group_name is None:
        return presets_base
    if preset is not None:
        preset = preset if preset.endswith(".json") else preset + ".json"
        return os.path.join(presets_base, group_name, preset)
    return os.path.join(presets_base, group_name)
