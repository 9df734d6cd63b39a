"""The core's records: what its services return and take, as frozen dataclasses.

Rows never leave the module that reads them: each service turns them into one of these records, so a
field's name and type are checked by ``mypy --strict`` wherever it is used, and the HTTP API builds its
response models from the records' attributes.
"""

from __future__ import annotations

# ------------------------------------------------------------------------ units, cases, items, events


# ------------------------------------------------------------------------- users, sessions, stations
