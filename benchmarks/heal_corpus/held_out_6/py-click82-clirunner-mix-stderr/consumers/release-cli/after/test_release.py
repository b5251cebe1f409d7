import unittest

from click.testing import CliRunner

from release_cli import tag


class TagTests(unittest.TestCase):
    def setUp(self):
        self.runner = CliRunner(env={"TZ": "UTC"})

    def test_dry_run(self):
        result = self.runner.invoke(tag, ["v1.2.0", "--dry-run"])
        self.assertEqual(result.exit_code, 0)
        self.assertEqual(result.stdout, "would tag v1.2.0\n")
        self.assertEqual(result.stderr, "")

    def test_bad_version(self):
        result = self.runner.invoke(tag, ["1.2.0"])
        self.assertEqual(result.exit_code, 1)
        self.assertIn("must start with 'v'", result.stderr)
        self.assertEqual(result.stdout, "")


if __name__ == "__main__":
    unittest.main()
