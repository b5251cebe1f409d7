import pandas as pd


class Ledger:
    """Entries of a cash book, one row each."""

    def __init__(self):
        self.entries = pd.DataFrame(columns=["day", "account", "amount"])

    def record(self, day, account, amount):
        self.entries = self.entries.append(
            {"day": day, "account": account, "amount": amount}, ignore_index=True
        )
        return len(self.entries)

    def balance(self, account):
        rows = self.entries[self.entries["account"] == account]
        return float(rows["amount"].sum())
