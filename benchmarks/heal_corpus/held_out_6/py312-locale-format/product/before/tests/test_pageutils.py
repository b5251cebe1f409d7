import locale
import unittest

from pdfarranger.pageutils import PageSizeEntry, _LinkedSpinButton


class PageUtilsTest(unittest.TestCase):
    def setUp(self):
        locale.setlocale(locale.LC_ALL, "C")

    def test_no_trailing_zeros(self):
        self.assertEqual(_LinkedSpinButton(210.0).get_text(), "210")
        self.assertEqual(_LinkedSpinButton(12.5).get_text(), "12.5")

    def test_a4_in_mm(self):
        entry = PageSizeEntry(595.2756, 841.8898)
        self.assertEqual(entry.texts(), ("210", "297.00001"))

    def test_linked_height(self):
        entry = PageSizeEntry(100, 200)
        entry.set_width(50)
        self.assertEqual(entry.texts(), ("50", "100"))


if __name__ == "__main__":
    unittest.main()
