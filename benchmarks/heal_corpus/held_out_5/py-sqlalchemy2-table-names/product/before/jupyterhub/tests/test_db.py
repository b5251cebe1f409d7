"""Upgrade an old database with the alembic revisions, then check its revision."""
import importlib
import os
import shutil
import tempfile
import unittest

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from jupyterhub import orm

REVISIONS = [
    '1cebaf56856c_session_id',
    '56cc5a70207e_token_tracking',
    '99a28a4418e1_user_created',
    'd68c98b66cd4_client_description',
    '4dc2d5a8c53c_user_options',
]

OLD_SCHEMA = [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(255), admin BOOLEAN)",
    "CREATE TABLE spawners (id INTEGER PRIMARY KEY, user_id INTEGER, server_id INTEGER, name VARCHAR(255))",
    "CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, hashed VARCHAR(255), user_id INTEGER)",
    "CREATE TABLE oauth_clients (id INTEGER PRIMARY KEY, identifier VARCHAR(255))",
    "CREATE TABLE oauth_access_tokens (id INTEGER PRIMARY KEY, client_id VARCHAR(255))",
    "INSERT INTO users (id, name, admin) VALUES (1, 'river', 1)",
    "INSERT INTO spawners (id, user_id, server_id, name) VALUES (1, 1, 7, '')",
]


def upgrade(engine):
    for name in REVISIONS:
        module = importlib.import_module('jupyterhub.alembic.versions.' + name)
        with engine.begin() as conn:
            with Operations.context(MigrationContext.configure(conn)):
                module.upgrade()


def columns(engine, table):
    return {c['name'] for c in sa.inspect(engine).get_columns(table)}


class TestUpgrade(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.engine = sa.create_engine('sqlite:///' + os.path.join(self.tmp, 'jupyterhub.sqlite'))

    def tearDown(self):
        self.engine.dispose()
        shutil.rmtree(self.tmp)

    def test_upgrade_old_db(self):
        with self.engine.begin() as conn:
            for stmt in OLD_SCHEMA:
                conn.execute(sa.text(stmt))
        upgrade(self.engine)
        self.assertIn('session_id', columns(self.engine, 'oauth_access_tokens'))
        self.assertEqual({'id', 'hashed', 'user_id', 'created', 'last_activity', 'note'}, columns(self.engine, 'api_tokens'))
        self.assertIn('started', columns(self.engine, 'spawners'))
        self.assertIn('user_options', columns(self.engine, 'spawners'))
        self.assertIn('description', columns(self.engine, 'oauth_clients'))
        with self.engine.connect() as conn:
            started = conn.execute(sa.text('SELECT started FROM spawners WHERE id = 1')).scalar()
        self.assertIsNotNone(started)
        self.assertEqual(orm.HEAD_REVISION, orm.check_db_revision(self.engine))

    def test_empty_db_is_stamped(self):
        self.assertEqual(orm.HEAD_REVISION, orm.check_db_revision(self.engine))
        orm.Base.metadata.create_all(self.engine)
        self.assertEqual(orm.HEAD_REVISION, orm.check_db_revision(self.engine))

    def test_old_revision_mismatch(self):
        with self.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(255))"))
        with self.assertRaises(orm.DatabaseSchemaMismatch):
            orm.check_db_revision(self.engine)


if __name__ == '__main__':
    unittest.main()
