import os
import unittest

from pyannote.database import (CTMLoader, MAPLoader, load_lab, load_mdtm, load_rttm, load_stm, load_trial,
                               load_uem)

DATA = os.path.join(os.path.dirname(__file__), "data")


def path(name):
    return os.path.join(DATA, name)


class TestUtil(unittest.TestCase):
    def test_rttm(self):
        turns = load_rttm(path("sample.rttm"))
        self.assertEqual([(0.5, 1.75, "alice"), (2.0, 2.5, "bob")], turns["file1"])
        self.assertEqual([(0.0, 1.0, "carol")], turns["file2"])

    def test_stm(self):
        self.assertEqual([(0.5, 1.75, "alice"), (2.0, 2.5, "bob")], load_stm(path("sample.stm"))["file1"])

    def test_mdtm(self):
        self.assertEqual(["alice", "bob"], [t[2] for t in load_mdtm(path("sample.mdtm"))["file1"]])

    def test_uem(self):
        self.assertEqual({"file1": [(0.0, 3.5)], "file2": [(0.0, 1.0)]}, load_uem(path("sample.uem")))

    def test_lab(self):
        self.assertEqual(["sil", "speech", "sil"], [t[2] for t in load_lab(path("sample.lab"))])


class TestLoader(unittest.TestCase):
    def test_trial(self):
        self.assertEqual(["target", "nontarget"], [t["reference"] for t in load_trial(path("sample.trial"))])

    def test_ctm(self):
        self.assertEqual(["hello", "there"], [w[2] for w in CTMLoader(path("sample.ctm"))("file1")])

    def test_map(self):
        self.assertEqual("telephone", MAPLoader(path("sample.map"))("file2"))


if __name__ == "__main__":
    unittest.main()
