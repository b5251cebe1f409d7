from sqlalchemy import text


class UserStore:
    def __init__(self, engine):
        self.engine = engine

    def contact(self, user_id):
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT name, email FROM users WHERE id = :id"), {"id": user_id}).fetchone()
        if row is None:
            return None
        return "{} <{}>".format(row["name"], row["email"])

    def by_domain(self, domain):
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT name, email FROM users ORDER BY name")).fetchall()
        return [r["name"] for r in rows if r["email"].endswith("@" + domain)]
