"""The built-in use cases (credit, fraud): their data, their iterations trained at first start, and the demo history."""
