import os
import unittest
import shutil
import json
import tempfile

import pkg_resources

CONFIG_PATH = tempfile.mkdtemp(prefix="input-remapper-test-")
os.environ["INPUT_REMAPPER_CONFIG_PATH"] = CONFIG_PATH

from inputremapper.configs.mapping import Mapping, needs_workaround  # noqa: E402
from inputremapper.configs.migrations import migrate, config_version  # noqa: E402
from inputremapper.configs.paths import get_preset_path  # noqa: E402
from inputremapper.logger import VERSION  # noqa: E402


class TestMigrations(unittest.TestCase):
    def setUp(self):
        os.makedirs(CONFIG_PATH, exist_ok=True)

    def tearDown(self):
        shutil.rmtree(CONFIG_PATH)

    def test_migrate_suffix(self):
        old = os.path.join(CONFIG_PATH, "config")
        with open(old, "w") as file:
            file.write("{}")

        migrate()
        self.assertTrue(os.path.exists(os.path.join(CONFIG_PATH, "config.json")))
        self.assertFalse(os.path.exists(old))
        self.assertEqual(pkg_resources.parse_version(VERSION), config_version())

    def test_update_version(self):
        path = os.path.join(CONFIG_PATH, "config.json")
        with open(path, "w") as file:
            json.dump({"version": "0.1.0"}, file)

        migrate()
        self.assertEqual(pkg_resources.parse_version(VERSION), config_version())

    def test_config_version(self):
        path = os.path.join(CONFIG_PATH, "config.json")
        with open(path, "w") as file:
            file.write("{}")

        self.assertEqual("0.0.0", str(config_version()))

        with open(path, "w") as file:
            json.dump({"version": "1.6.0-beta"}, file)
        self.assertEqual("1.6.0b0", str(config_version()))

    def test_old_preset_is_converted(self):
        old_group = os.path.join(CONFIG_PATH, "Foo Keyboard")
        os.makedirs(old_group)
        with open(os.path.join(old_group, "gaming.json"), "w") as file:
            json.dump({"mapping": {"1,30,1": "a", "1,48,1": "otherwise=b"}}, file)
        with open(os.path.join(CONFIG_PATH, "config.json"), "w") as file:
            json.dump({"version": "0.3.1"}, file)

        migrate()
        with open(get_preset_path("Foo Keyboard", "gaming")) as file:
            preset = json.load(file)
        self.assertEqual(
            [
                {"input_combination": "1,30,1", "output_symbol": "a", "target_uinput": "keyboard"},
                {"input_combination": "1,48,1", "output_symbol": "else=b", "target_uinput": "keyboard"},
            ],
            preset,
        )

    def test_mapping_workaround(self):
        self.assertTrue(needs_workaround)
        self.assertIn("output_symbol", Mapping("1,30,1", "mouse").dict())


if __name__ == "__main__":
    unittest.main()
