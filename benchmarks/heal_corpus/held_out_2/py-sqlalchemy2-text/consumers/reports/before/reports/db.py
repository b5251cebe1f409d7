import sqlalchemy as sa

metadata = sa.MetaData()
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", sa.Numeric(10, 2), nullable=False),
)


def demo_engine():
    """An in-memory database with three orders."""
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(orders.insert(), [{"amount": 10}, {"amount": 2.5}, {"amount": 7.25}])
    return engine
