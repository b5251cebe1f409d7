import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


class Group(Base):
    __tablename__ = "group"

    id = sa.Column(sa.Integer, primary_key=True)
    pubid = sa.Column(sa.String(16), unique=True, nullable=False)
    authority = sa.Column(sa.String(64), nullable=False)
    authority_provided_id = sa.Column(sa.String(64))


class Annotation(Base):
    __tablename__ = "annotation"

    id = sa.Column(sa.Integer, primary_key=True)
    groupid = sa.Column(sa.String(16), nullable=False)
    userid = sa.Column(sa.String(64), nullable=False)
    created = sa.Column(sa.DateTime, default=datetime.datetime(2024, 1, 1))
    deleted = sa.Column(sa.Boolean, default=False)


class Job(Base):
    __tablename__ = "job"

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(32), nullable=False)
    scheduled_at = sa.Column(sa.String(32), nullable=False)
    priority = sa.Column(sa.Integer, nullable=False)
    tag = sa.Column(sa.String(64), nullable=False)
    kwargs = sa.Column(sa.JSON, nullable=False)
