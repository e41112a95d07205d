"""Involve's human side: people's records and the rules about them, and the store they are kept in.

Where SQL lives — one rule: only `feedback.store` runs SQL (or imports sqlalchemy).

- `feedback/<topic>.py` holds a topic's records, allowed values and pure rules (validation, plans of
  a change, what the records add up to): it never imports `feedback.store` or sqlalchemy.
- `feedback/store/<topic>.py`, named like its topic, holds that topic's SQL: it reads and writes the
  topic's tables, deciding with the topic's rules inside one transaction (under a lock where a
  read-decide-write needs one).
- `feedback/store/database.py` is the engine: connections, transactions, locks and the generic
  helpers (`insert_record`, `utc_row`); `schema.py` the tables and migrations; `opening.py`
  read-only opening and bounded waits; `fresh.py` whether a store is fresh.

Topics with a store module: records (feedback entries and the inbox's search), triage, app_reports,
lifecycle (with the reads that gate a promotion and a sign-off), signoff, announcements, goals
(criteria, costs, thresholds), exchange (export and import; `import_check` holds its line rules),
telemetry. Pure only: access (who may do what), analytics (what the feedback says).
`lint-imports` checks the rule (pyproject.toml); `tests/unit/feedback/test_records_match_tables.py`
checks each record against its table. Never imports streamlit or `demo_models`.
"""
