"""The store, the only part of `feedback` that runs SQL: the engine, the schema and its migrations, opening,
first fill, and one module per topic (`feedback/<topic>.py` -> `feedback/store/<topic>.py`) with its SQL."""
