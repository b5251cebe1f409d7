from sqlalchemy import create_engine, text

ENGINE = create_engine('sqlite://')


def apply(sql):
    with ENGINE.connect() as conn:
        return conn.execute(text(sql))
