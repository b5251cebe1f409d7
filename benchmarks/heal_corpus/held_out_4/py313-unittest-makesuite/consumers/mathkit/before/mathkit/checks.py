"""The checks of mathkit. Their methods are named check_*, not test_*, so
that a plain `python -m unittest` discovery does not pick them up twice;
suite() collects them with the "check" prefix."""

import unittest

from mathkit import add, dot, scale


class VectorChecks(unittest.TestCase):
    def check_add(self):
        self.assertEqual((4, 6), add((1, 2), (3, 4)))

    def check_dot(self):
        self.assertEqual(11, dot((1, 2), (3, 4)))

    def check_scale(self):
        self.assertEqual((2, 4), scale((1, 2), 2))

    def helper_not_a_check(self):
        raise AssertionError("must not be collected")


def suite():
    return unittest.makeSuite(VectorChecks, "check")
