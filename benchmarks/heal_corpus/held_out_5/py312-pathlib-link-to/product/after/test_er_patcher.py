"""Run er-patcher in a fake game folder; a stand-in launcher inspects the patched copy."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATE_PATTERN = bytes.fromhex("c7 43 20 89 88 88 3c eb 43 89 73 18 eb ca 89 73 18")
INTRO_PATTERN = bytes.fromhex("74 53 48 8b 0d 11 22 33 44 48 85 c9")

LAUNCHER = r'''
import json, os, struct, sys
from pathlib import Path
exe = Path(sys.argv[1])
patched = exe.parent
game = patched.parent
data = exe.read_bytes()
rate_at = data.index(bytes.fromhex("c74320")) + 3
report = {
    "cwd_is_patched_dir": Path.cwd().resolve() == patched.resolve(),
    "frame_time": round(struct.unpack("<f", data[rate_at:rate_at + 4])[0], 6),
    "intro_nopped": bytes.fromhex("9090488b0d") in data,
    "linked": sorted(str(p.relative_to(patched)) for p in patched.rglob("*")
                     if p.is_file() and p.name != "eldenring.exe" and os.path.samefile(p, game / p.relative_to(patched))),
}
Path(os.environ["ER_REPORT"]).write_text(json.dumps(report))
'''


class TestPatcher(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.game = self.tmp / "ELDEN RING" / "Game"
        (self.game / "movie").mkdir(parents=True)
        (self.game / "regulation.bin").write_bytes(b"regulation")
        (self.game / "movie" / "intro.bk2").write_bytes(b"intro")
        (self.game / "eldenring.exe").write_bytes(b"MZ" + b"\0" * 30 + RATE_PATTERN + b"\1" * 8 + INTRO_PATTERN)
        shutil.copy(HERE / "er-patcher", self.game / "er-patcher")
        (self.tmp / "launcher.py").write_text(LAUNCHER)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_patch_and_launch(self):
        report = self.tmp / "report.json"
        cmd = [sys.executable, "er-patcher", "-r", "120", "--skip-intro", "--",
               sys.executable, str(self.tmp / "launcher.py"), str(self.game / "eldenring.exe")]
        proc = subprocess.run(cmd, cwd=self.game, env=dict(os.environ, ER_REPORT=str(report)))
        self.assertEqual(0, proc.returncode)
        result = json.loads(report.read_text())
        self.assertTrue(result["cwd_is_patched_dir"])
        self.assertAlmostEqual(1 / 120, result["frame_time"], places=5)
        self.assertTrue(result["intro_nopped"])
        self.assertEqual(["movie/intro.bk2", "regulation.bin"], result["linked"])
        self.assertFalse((self.game / "er-patcher-tmp").exists())
        self.assertEqual(b"regulation", (self.game / "regulation.bin").read_bytes())


if __name__ == "__main__":
    unittest.main()
