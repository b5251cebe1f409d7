from sqlalchemy import create_engine


def upgrade(url="sqlite://"):
    """Create the settings table and record the schema version; return what was stored."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (:key, :value)",
            {"key": "schema", "value": "2"},
        )
        return conn.execute("SELECT value FROM settings WHERE key = 'schema'").scalar()
