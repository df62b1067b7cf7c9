"""Full-text search across the spaces a teacher can see: SQLite FTS5 or PostgreSQL tsvector."""
