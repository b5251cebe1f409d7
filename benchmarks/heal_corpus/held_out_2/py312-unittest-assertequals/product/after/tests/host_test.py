# -*- coding: utf-8 -*-

import os
import shutil
import tempfile
import unittest
from unittest.mock import patch

from hostsman import Hosts

DATA = os.path.join(os.path.dirname(os.path.realpath(__file__)), "data", "hosts")


class HostsTest(unittest.TestCase):
    def setUp(self):
        handle, self.hostfile = tempfile.mkstemp(prefix="hosts-")
        os.close(handle)
        shutil.copyfile(DATA, self.hostfile)
        self.host = Hosts(backup=False)
        self.host.path = self.hostfile

    def tearDown(self):
        os.remove(self.hostfile)

    @patch("sys.platform", "linux")
    def test_hosts_file_on_linux(self):
        self.assertEqual("/etc/hosts", Hosts().path)

    @patch("sys.platform", "win32")
    def test_hosts_file_on_windows(self):
        self.assertEqual(r"c:\windows\system32\drivers\etc\hosts", Hosts().path)

    @patch("sys.platform", "darwin")
    def test_hosts_file_on_macos(self):
        self.assertEqual("/etc/hosts", Hosts().path)

    def test_list(self):
        entries = self.host.list()
        self.assertEqual(3, len(entries))
        self.assertEqual("127.0.0.1\talpha.test", entries[0])
        self.assertEqual("127.0.0.2\tbeta.test gamma.test alpha.test", entries[1])
        self.assertEqual("127.0.0.3\tdelta.test", entries[2])

    def test_exists(self):
        self.assertTrue(self.host.exists("gamma.test"))
        self.assertFalse(self.host.exists("unknown.test"))

    def test_check_one_name(self):
        found = self.host.check("alpha.test")
        self.assertEqual(2, len(found))
        self.assertEqual("127.0.0.1\talpha.test", found[0])
        self.assertEqual("127.0.0.2\tbeta.test gamma.test alpha.test", found[1])

    def test_check_unknown_name(self):
        self.assertEqual(0, len(self.host.check("unknown.test")))

    def test_check_several_names(self):
        found = self.host.check("delta.test", "beta.test")
        self.assertEqual(2, len(found))
        self.assertEqual("127.0.0.2\tbeta.test gamma.test alpha.test", found[0])
        self.assertEqual("127.0.0.3\tdelta.test", found[1])

    def test_add_new_address(self):
        self.assertTrue(self.host.add("new.example.org", "127.0.0.9"))
        self.assertEqual(4, len(self.host.list()))
        self.assertEqual("127.0.0.9\tnew.example.org", self.host.list()[-1])

    def test_add_to_known_address(self):
        self.assertTrue(self.host.add("epsilon.test", "127.0.0.3"))
        self.assertEqual(3, len(self.host.list()))
        self.assertEqual("127.0.0.3\tdelta.test epsilon.test", self.host.list()[2])

    def test_add_twice(self):
        self.assertFalse(self.host.add("delta.test", "127.0.0.3"))

    def test_remove_only_name(self):
        self.assertTrue(self.host.remove("delta.test"))
        self.assertEqual(2, len(self.host.list()))
        self.assertEqual([], self.host.check("delta.test"))

    def test_remove_one_of_several_names(self):
        self.assertTrue(self.host.remove("gamma.test"))
        self.assertEqual(3, len(self.host.list()))
        self.assertEqual("127.0.0.2\tbeta.test alpha.test", self.host.list()[1])

    def test_parse(self):
        self.assertEqual(("10.0.0.1", ["a", "b"]), Hosts.parse("10.0.0.1  a b  # two names"))
        self.assertEqual(None, Hosts.parse("# only a comment"))


if __name__ == "__main__":
    unittest.main()
