import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "src"))

from nessai.utils.structures import array_split_chunksize, get_inverse_indices, isfinite_struct  # noqa: E402


class TestStructures(unittest.TestCase):
    def test_chunks(self):
        self.assertEqual([3, 3, 1], [len(c) for c in array_split_chunksize(np.arange(7), 3)])

    def test_isfinite_struct(self):
        x = np.array([(1.0, 2.0), (np.nan, 1.0)], dtype=[("a", "f8"), ("b", "f8")])
        self.assertEqual([True, False], isfinite_struct(x).tolist())

    def test_inverse_indices(self):
        self.assertEqual([0, 2, 4], get_inverse_indices(5, [1, 3]).tolist())

    def test_inverse_indices_empty(self):
        self.assertEqual([0, 1, 2], get_inverse_indices(3, []).tolist())

    def test_inverse_indices_out_of_range(self):
        with self.assertRaises(ValueError):
            get_inverse_indices(3, [5])


if __name__ == "__main__":
    unittest.main()
