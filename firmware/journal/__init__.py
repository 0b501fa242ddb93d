"""The durable journal (SQLite) and the drivers that feed event scripts through the core."""
