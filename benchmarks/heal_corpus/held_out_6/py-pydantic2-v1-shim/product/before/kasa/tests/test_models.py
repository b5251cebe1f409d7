import unittest

from kasa import BehaviorMode, SmartBulb
from kasa.modules.rulemodule import Action

SYS_INFO = {
    "default_behavior": {
        "soft_on": {"mode": "last_status"},
        "hard_on": {"mode": "last_status", "index": 2, "brightness": 40},
    },
    "cnCloud": {"get_info": {"binded": True, "cld_connection": 1, "server": "n-devs.example.com", "username": "me@example.com"}},
    "schedule": {
        "get_rules": {
            "rule_list": [
                {"id": "A1", "name": "morning", "enable": True, "wday": [1, 1, 1, 1, 1, 0, 0], "repeat": True, "sact": 1, "smin": 420}
            ]
        }
    },
}


class ModelTests(unittest.TestCase):
    def setUp(self):
        self.bulb = SmartBulb(SYS_INFO)

    def test_turn_on_behavior(self):
        behavior = self.bulb.turn_on_behavior
        self.assertEqual(behavior["soft_on"].mode, BehaviorMode.Last)
        self.assertIsNone(behavior["soft_on"].preset)
        self.assertEqual(behavior["hard_on"].mode, BehaviorMode.Preset)
        self.assertEqual(behavior["hard_on"].preset, 2)

    def test_cloud(self):
        cloud = self.bulb.modules["cloud"]
        self.assertTrue(cloud.is_connected)
        self.assertEqual(cloud.info.server, "n-devs.example.com")

    def test_rules(self):
        rules = self.bulb.modules["schedule"].rules
        self.assertEqual([r.name for r in rules], ["morning"])
        self.assertEqual(rules[0].sact, Action.TurnOn)


if __name__ == "__main__":
    unittest.main()
