"""Custody domain: units, cases, items, evidence numbers, lifecycle rules and the custody ledger.

Plain Python and SQLAlchemy; no web framework and no hardware imports.
"""
