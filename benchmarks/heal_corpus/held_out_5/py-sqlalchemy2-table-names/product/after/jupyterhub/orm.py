"""sqlalchemy ORM tools for the state of the constellation of processes"""
import json
import logging

from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import inspect
from sqlalchemy import Integer
from sqlalchemy import text
from sqlalchemy import Unicode
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import Text
from sqlalchemy.types import TypeDecorator

app_log = logging.getLogger('jupyterhub')

# the newest revision in jupyterhub/alembic/versions
HEAD_REVISION = 'd68c98b66cd4'
BASE_REVISION = '19c0846f6344'


class JSONDict(TypeDecorator):
    """Represents an immutable structure as a json-encoded string."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            value = json.dumps(value)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = json.loads(value)
        return value


Base = declarative_base()


class User(Base):
    __tablename__ = 'users'
    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(Unicode(255), unique=True)
    admin = Column(Boolean(create_constraint=False), default=False)
    created = Column(DateTime, nullable=True)


class Spawner(Base):
    __tablename__ = 'spawners'
    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(Integer, ForeignKey('users.id', ondelete='CASCADE'))
    server_id = Column(Integer, nullable=True)
    name = Column(Unicode(255))
    started = Column(DateTime, nullable=True)
    user_options = Column(JSONDict)


class APIToken(Base):
    __tablename__ = 'api_tokens'
    id = Column(Integer, primary_key=True)
    hashed = Column(Unicode(255), unique=True)
    user_id = Column(Integer, ForeignKey('users.id', ondelete='CASCADE'), nullable=True)
    created = Column(DateTime, nullable=True)
    last_activity = Column(DateTime, nullable=True)
    note = Column(Unicode(1023), nullable=True)


class OAuthClient(Base):
    __tablename__ = 'oauth_clients'
    id = Column(Integer, primary_key=True, autoincrement=True)
    identifier = Column(Unicode(255), unique=True)
    description = Column(Unicode(1023))


class DatabaseSchemaMismatch(Exception):
    """Exception raised when the database schema version does not match
    the current version of JupyterHub.
    """


def _stamp(engine, revision):
    with engine.begin() as conn:
        conn.execute(text('CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)'))
        conn.execute(text('DELETE FROM alembic_version'))
        conn.execute(text('INSERT INTO alembic_version (version_num) VALUES (:rev)'), {'rev': revision})


def check_db_revision(engine):
    """Check the JupyterHub database revision

    After calling this function, an alembic tag is guaranteed to be stored in the db.

    - Checks the alembic tag and raises a DatabaseSchemaMismatch if it's not the current revision
    - If no tag is stored, guess revision based on db contents and tag the revision.
    - Empty databases are tagged with the current revision
    """
    # Check database schema version
    current_table_names = set(inspect(engine).get_table_names())
    my_table_names = set(Base.metadata.tables.keys())

    if not my_table_names.intersection(current_table_names):
        # no tables have been created, stamp with current revision
        app_log.debug("Stamping empty database with alembic revision %s", HEAD_REVISION)
        _stamp(engine, HEAD_REVISION)
        return HEAD_REVISION

    if 'alembic_version' not in current_table_names:
        # Has not been tagged or upgraded before.
        if 'spawners' in current_table_names:
            rev = HEAD_REVISION
        else:
            rev = BASE_REVISION
        app_log.debug("Stamping database schema version %s", rev)
        _stamp(engine, rev)

    # check database schema version
    # it should always be defined at this point
    with engine.connect() as conn:
        alembic_revision = conn.execute(text('SELECT version_num FROM alembic_version')).first()[0]
    if alembic_revision != HEAD_REVISION:
        raise DatabaseSchemaMismatch(
            "Found database schema version {found} != {head}. "
            "Backup your database and run `jupyterhub upgrade-db`"
            " to upgrade to the latest schema.".format(found=alembic_revision, head=HEAD_REVISION)
        )
    return alembic_revision
