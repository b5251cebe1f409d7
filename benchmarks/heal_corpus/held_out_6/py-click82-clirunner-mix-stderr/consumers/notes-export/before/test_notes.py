import unittest

from click.testing import CliRunner

from notes import export


class ExportTests(unittest.TestCase):
    def test_export(self):
        runner = CliRunner(mix_stderr=False)
        result = runner.invoke(export, ["todo"])
        self.assertEqual(result.output, "- buy milk\n- file taxes\n")

    def test_empty_notebook_prints_nothing(self):
        runner = CliRunner(mix_stderr=False)
        result = runner.invoke(export, ["ideas"])
        self.assertEqual(result.exit_code, 0)
        self.assertEqual(result.output, "")
        self.assertIn("is empty", result.stderr)

    def test_missing(self):
        runner = CliRunner(mix_stderr=False)
        result = runner.invoke(export, ["nope"])
        self.assertEqual(result.exit_code, 1)
        self.assertIn("no notebook named nope", result.stderr)


if __name__ == "__main__":
    unittest.main()
