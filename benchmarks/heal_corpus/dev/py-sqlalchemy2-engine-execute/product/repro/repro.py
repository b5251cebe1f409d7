import sqlalchemy

engine = sqlalchemy.create_engine('sqlite://')
clause = sqlalchemy.text('select 1')
engine.execute(clause)
