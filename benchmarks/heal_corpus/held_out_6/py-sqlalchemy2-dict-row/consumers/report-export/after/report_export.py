import csv
import io

import sqlalchemy as sa


def export_orders(engine, min_total=0):
    """Orders at or above min_total as CSV text, largest first."""
    with engine.connect() as conn:
        result = conn.execute(
            sa.text("SELECT id, customer, total FROM orders WHERE total >= :m ORDER BY total DESC"),
            {"m": min_total},
        )
        rows = [dict(r._mapping) for r in result]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "customer", "total"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
