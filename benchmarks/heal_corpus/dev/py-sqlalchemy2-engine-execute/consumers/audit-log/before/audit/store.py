import sqlalchemy

engine = sqlalchemy.create_engine('sqlite://')


def count():
    result = engine.execute(sqlalchemy.text('select 1'))
    return result.scalar()
