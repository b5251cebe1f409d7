import sqlalchemy

engine = sqlalchemy.create_engine('sqlite://')


def count():
    with engine.connect() as conn:
        result = conn.execute(sqlalchemy.text('select 1'))
        return result.scalar()
