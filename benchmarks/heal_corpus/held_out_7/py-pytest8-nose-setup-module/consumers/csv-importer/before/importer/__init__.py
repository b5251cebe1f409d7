"""Import contacts from CSV files into a simple in-memory address book."""
import csv


class AddressBook:
    def __init__(self):
        self.contacts = {}

    def add(self, email, name):
        self.contacts[email.lower()] = name


def import_csv(path, book, delimiter=","):
    """Add every row (email, name) of the file; returns (imported, skipped)."""
    imported = skipped = 0
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter=delimiter):
            email = (row.get("email") or "").strip()
            if "@" not in email:
                skipped += 1
                continue
            book.add(email, (row.get("name") or "").strip())
            imported += 1
    return imported, skipped
