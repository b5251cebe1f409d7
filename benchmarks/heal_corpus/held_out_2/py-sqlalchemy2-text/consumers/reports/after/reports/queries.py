import sqlalchemy as sa


def order_totals(engine: sa.engine.Engine):
    """How many orders there are and what they add up to."""
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM orders")).scalar()
        total = conn.execute(sa.text("SELECT coalesce(sum(amount), 0) FROM orders")).scalar()
    return count, total
