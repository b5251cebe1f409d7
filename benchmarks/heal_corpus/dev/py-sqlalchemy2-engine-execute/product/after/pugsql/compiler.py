"""Run named SQL statements against an engine or a bound override."""

import threading

import sqlalchemy


class NotBound(Exception):
    pass


class Statements(object):
    def __init__(self, url=None):
        self.engine = sqlalchemy.create_engine(url) if url else None
        self._local = threading.local()

    def bind(self, target):
        self._local.target = target

    def _run(self, clause, *many, **params):
        if getattr(self._local, 'target', None):
            with self._local.target.connect() as conn:
                result = conn.execute(clause)
                return result

        if self.engine is None:
            raise NotBound()

        with self.engine.connect() as conn:
            result = conn.execute(clause)
            return result

    def count(self):
        return self._run(sqlalchemy.text('select 1'))


if __name__ == "__main__":
    print(type(Statements('sqlite://').count()).__name__)
