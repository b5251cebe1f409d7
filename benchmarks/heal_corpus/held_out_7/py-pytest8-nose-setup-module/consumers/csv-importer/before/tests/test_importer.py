import os
import shutil
import tempfile

from importer import AddressBook, import_csv


class TestImportCsv:
    def setup(self):
        self.tmpdir = tempfile.mkdtemp()
        self.book = AddressBook()

    def teardown(self):
        shutil.rmtree(self.tmpdir)

    def write(self, text, name="contacts.csv"):
        path = os.path.join(self.tmpdir, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        return path

    def test_imports_rows(self):
        path = self.write("email,name\nAda@Example.org,Ada\ngrace@example.org,Grace\n")
        assert import_csv(path, self.book) == (2, 0)
        assert self.book.contacts == {"ada@example.org": "Ada", "grace@example.org": "Grace"}

    def test_skips_rows_without_email(self):
        path = self.write("email,name\n,Nobody\nnot-an-email,Bad\nlin@example.org,Lin\n")
        assert import_csv(path, self.book) == (1, 2)

    def test_semicolon_delimiter(self):
        path = self.write("email;name\nkat@example.org;Kat\n", "semi.csv")
        assert import_csv(path, self.book, delimiter=";") == (1, 0)
        assert self.book.contacts["kat@example.org"] == "Kat"
