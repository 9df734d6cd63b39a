"""The lifecycle as data: the transition table (:mod:`custody.lifecycle.table`) and its rows, for items
(:mod:`custody.lifecycle.items`, corrections in :mod:`custody.lifecycle.corrections`, handovers in
:mod:`custody.lifecycle.handovers`, sealed storage in :mod:`custody.lifecycle.seals`) and for cases
(:mod:`custody.lifecycle.cases`).

"Act" means one thing here and everywhere: a lifecycle act, an :class:`~custody.model.EventType` with its
row in the table. What guards inspect is an :class:`Attempt` (or :class:`CaseAttempt`).
"""

from __future__ import annotations

from custody.lifecycle import audits as _audits  # noqa: F401  (registers the audit rows)
from custody.lifecycle import batches as _batches  # noqa: F401  (registers the destruction batch rows)
from custody.lifecycle import destruction as _destruction  # noqa: F401  (registers the destruction rows)
from custody.lifecycle import handovers as _handovers  # noqa: F401  (registers the handover rows)
from custody.lifecycle import samples as _samples  # noqa: F401  (registers the sample and lot rows)
from custody.lifecycle import tracing as _tracing  # noqa: F401  (registers the tracing letter's row)
from custody.lifecycle.cases import CASE_ROLES, judgment, opened_case
from custody.lifecycle.corrections import (
    CORRECTABLE_FIELD_NAMES,
    CORRECTABLE_FIELDS,
    MAX_SEQ,
    corrected_value,
)
from custody.lifecycle.items import normal_uid, registered_item
from custody.lifecycle.reviews import REVIEW_FIELDS
from custody.lifecycle.seals import SEAL_ACTS, SEAL_FIELDS
from custody.lifecycle.table import (
    CASE_TRANSITIONS,
    TRANSITIONS,
    Attempt,
    CaseAttempt,
    CaseTransition,
    Changes,
    Lookups,
    Transition,
    case_transition,
    case_transition_for,
    parse_date,
    transition,
    transition_for,
)

__all__ = [
    "CASE_ROLES",
    "CASE_TRANSITIONS",
    "CORRECTABLE_FIELDS",
    "CORRECTABLE_FIELD_NAMES",
    "MAX_SEQ",
    "REVIEW_FIELDS",
    "SEAL_ACTS",
    "SEAL_FIELDS",
    "TRANSITIONS",
    "Attempt",
    "CaseAttempt",
    "CaseTransition",
    "Changes",
    "Lookups",
    "Transition",
    "case_transition",
    "case_transition_for",
    "corrected_value",
    "judgment",
    "normal_uid",
    "opened_case",
    "parse_date",
    "registered_item",
    "transition",
    "transition_for",
]
