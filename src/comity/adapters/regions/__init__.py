"""Regional custody: stores (SQLite, PostgreSQL), keyrings and envelope encryption."""
