from sqlalchemy import create_engine, text


def upgrade(url="sqlite://"):
    """Create the settings table and record the schema version; return what was stored."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT)"))
        conn.execute(
            text("INSERT INTO settings (key, value) VALUES (:key, :value)"),
            {"key": "schema", "value": "2"},
        )
        return conn.execute(text("SELECT value FROM settings WHERE key = 'schema'")).scalar()
