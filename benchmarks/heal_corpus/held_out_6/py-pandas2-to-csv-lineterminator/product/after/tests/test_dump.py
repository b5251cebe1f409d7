import io
import unittest

import atomman
from atomman.dump import dump_atom, dump_table


def two_atoms():
    return atomman.System(box=[(0.0, 4.05), (0.0, 4.05), (0.0, 4.05)],
                          atype=[1, 1], pos=[[0.0, 0.0, 0.0], [2.025, 2.025, 0.0]], charge=[0.5, -0.5])


class DumpTests(unittest.TestCase):
    def test_atom_dump(self):
        text = dump_atom(two_atoms(), float_format='%.3f')
        lines = text.split('\n')
        self.assertEqual(lines[3], '2')
        self.assertEqual(lines[-3:], ['1 1 0.000 0.000 0.000', '2 1 2.025 2.025 0.000', ''])

    def test_table_dump(self):
        text = dump_table(two_atoms(), prop_name=['atype', 'pos'], float_format='%.2f')
        self.assertEqual(text, 'atype pos[0] pos[1] pos[2]\n1 0.00 0.00 0.00\n1 2.02 2.02 0.00\n')

    def test_table_dump_to_file(self):
        buf = io.StringIO()
        dump_table(two_atoms(), f=buf, prop_name=['charge'], header=False, float_format='%.1f')
        self.assertEqual(buf.getvalue(), '0.5\n-0.5\n')


if __name__ == '__main__':
    unittest.main()
