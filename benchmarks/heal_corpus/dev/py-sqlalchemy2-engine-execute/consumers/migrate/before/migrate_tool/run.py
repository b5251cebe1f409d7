from sqlalchemy import create_engine, text

ENGINE = create_engine('sqlite://')


def apply(sql):
    return ENGINE.execute(text(sql))
