"""Backup and restore: a consistent copy of the database while the application serves, in the
database's own format (an SQLite file, a ``pg_dump`` custom archive), brought back only into an
empty database."""
