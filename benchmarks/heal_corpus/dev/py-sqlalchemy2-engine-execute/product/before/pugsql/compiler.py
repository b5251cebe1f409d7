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
            return self._local.target.execute(clause, many or params)

        if self.engine is None:
            raise NotBound()

        return self.engine.execute(clause, *many, **params)

    def count(self):
        return self._run(sqlalchemy.text('select 1'))


if __name__ == "__main__":
    print(type(Statements('sqlite://').count()).__name__)
