"""The store: the engine and its connections, the schema and its migrations, opening and first fill."""
