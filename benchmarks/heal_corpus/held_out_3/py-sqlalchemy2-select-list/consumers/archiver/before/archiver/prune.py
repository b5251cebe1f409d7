import datetime

from sqlalchemy import Column, DateTime, Integer, String, delete, select
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    title = Column(String(80))
    updated = Column(DateTime)


def prune(session, before):
    """Delete the posts last updated before `before`; how many were deleted."""
    stale = select([Post.id]).where(Post.updated < before).scalar_subquery()
    result = session.execute(delete(Post).where(Post.id.in_(stale)))
    return result.rowcount


def demo(engine):
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all([
            Post(title="old", updated=datetime.datetime(2020, 1, 1)),
            Post(title="new", updated=datetime.datetime(2024, 1, 1)),
        ])
        session.flush()
        deleted = prune(session, datetime.datetime(2023, 1, 1))
        return deleted, [p.title for p in session.scalars(select(Post))]
