"""Compare the tables of a database with the tables a service expects."""

from sqlalchemy import create_engine, inspect


def audit(url, expected):
    engine = create_engine(url)
    try:
        present = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    missing = sorted(set(expected) - present)
    extra = sorted(present - set(expected))
    return missing, extra
