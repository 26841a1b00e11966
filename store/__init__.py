"""The system of record: ticket events, handoffs, knowledge base and reviews in SQL.

SQLite under DATA_DIR by default, PostgreSQL (or any SQLAlchemy URL) through DATABASE_URL."""
