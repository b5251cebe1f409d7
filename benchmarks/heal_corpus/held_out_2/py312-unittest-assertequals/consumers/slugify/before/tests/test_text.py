import unittest

from slugify.text import slugify


class SlugifyTest(unittest.TestCase):
    def test_plain(self):
        self.assertEquals(slugify("Hello World"), "hello-world")

    def test_accents_and_punctuation(self):
        self.assertEquals(slugify("Crème brûlée, s'il vous plaît!"), "creme-brulee-sil-vous-plait")

    def test_separator(self):
        self.assertEquals(
            slugify("a  b__c", sep="_"),
            "a_b_c",
        )

    def test_max_length(self):
        slug = slugify("the quick brown fox", max_length=9)
        self.assertTrue(len(slug) <= 9)
        self.assertEquals(slug, "the-quick")


if __name__ == "__main__":
    unittest.main()
