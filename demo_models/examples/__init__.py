"""Worked examples of bringing your own model to Involve."""
