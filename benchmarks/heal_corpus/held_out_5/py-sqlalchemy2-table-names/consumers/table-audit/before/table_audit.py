"""Compare the tables of a database with the tables a service expects."""

from sqlalchemy import create_engine


def audit(url, expected):
    engine = create_engine(url)
    try:
        present = set(engine.table_names())
    finally:
        engine.dispose()
    missing = sorted(set(expected) - present)
    extra = sorted(present - set(expected))
    return missing, extra
