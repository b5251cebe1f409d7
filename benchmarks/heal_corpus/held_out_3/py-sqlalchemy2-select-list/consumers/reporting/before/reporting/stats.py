import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("email", sa.String(100)),
    sa.Column("active", sa.Boolean, default=True),
)


def setup(engine):
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(users.insert(), [
            {"name": "ann", "email": "ann@example.org", "active": True},
            {"name": "bob", "email": "bob@example.org", "active": False},
            {"name": "cy", "email": "cy@example.org", "active": True},
        ])


def active_count(conn):
    return conn.execute(sa.select([sa.func.count(users.c.id)]).where(users.c.active)).scalar()


def mailing_list(conn):
    query = sa.select([users.c.name, users.c.email]).where(users.c.active).order_by(users.c.name)
    return [tuple(row) for row in conn.execute(query)]
