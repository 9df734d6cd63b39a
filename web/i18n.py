"""The desks' two languages: Chinese (the default) and English, from Babel catalogs.

Two catalogs per language, in ``web/locale/<lang>/LC_MESSAGES``:

- ``core.po``: the core's refusals by their stable message key (``evidence_no.check_digits``), with the
  same ``{placeholders}`` as the English text the code declares (:class:`custody.errors.Message`), and
  the labels of item states, roles, event types and item kinds (``state.sealed``, ``role.clerk``…) and
  of the second persons of two-person acts (``part.witness``).
  English takes a refusal's text from the code itself, and only the labels from its catalog.
- ``pages.po`` and ``pages-<desk>.po``: the pages' own words, by their English text (Chinese only).

A refusal is shown by its key and parameters, never by matching its English text. A parameter that names
a state, role, event or kind is shown by its label. The catalogs are read once, as PO files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from custody.errors import MESSAGES, CustodyError, ItemRefusal, Param

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LOCALE_DIR = Path(__file__).parent / "locale"

# parameters whose values are labelled enum values, by the label's prefix
_LABELLED = {
    "state": "state",
    "from_state": "state",
    "to_state": "state",
    "role": "role",
    "event": "event",
    "event_type": "event",
    "act": "event",
    "kind": "kind",
    "part": "part",  # the second person of a two-person act: witness, receiver, …
}


@cache
def catalog(language: str, domain: str) -> Mapping[str, str]:
    """The translations of one catalog (msgid → msgstr): ``<domain>.po`` and every ``<domain>-*.po``
    beside it (one file per desk); none for a language without them."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    found: dict[str, str] = {}
    for path in sorted([*folder.glob(f"{domain}.po"), *folder.glob(f"{domain}-*.po")]):
        with path.open("rb") as po:
            read = read_po(po, abort_invalid=True)
        found.update({str(m.id): str(m.string) for m in read if m.id and m.string})
    return found


@dataclass(frozen=True)
class Translator:
    """The words of one language."""

    language: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"no such language: {self.language}")

    def gettext(self, text: str) -> str:
        """A page's own words."""
        if self.language == "en":
            return text
        return catalog(self.language, "pages").get(text, text)

    def label(self, prefix: str, value: str) -> str:
        """The label of a state, role, event type or item kind (the value itself when it has none)."""
        return catalog(self.language, "core").get(f"{prefix}.{value}", value)

    def message(self, key: str, params: Mapping[str, Param], fallback: str = "") -> str:
        """A refusal of the core by its key, in this language."""
        shown = {name: self._param(name, value) for name, value in params.items()}
        if self.language != "en":
            text = catalog(self.language, "core").get(key)
            if text is not None:
                try:
                    return text.format_map(shown)
                except (KeyError, IndexError, ValueError):
                    pass  # a catalog entry that lost a placeholder: English rather than nothing
        declared = MESSAGES.get(key)
        if declared is not None and declared.params <= shown.keys():
            return declared.text.format_map(shown)
        return fallback or key

    def refusal(self, error: CustodyError) -> str:
        params = error.params
        refusals: Sequence[ItemRefusal] | None = getattr(error, "refusals", None)
        if refusals and "reasons" in params:  # a list act: each item's reason in this language too
            reasons = "; ".join(f"{r.evidence_no}: {self.item_refusal(r)}" for r in refusals)
            params = {**params, "reasons": reasons}
        return self.message(error.key, params, str(error))

    def item_refusal(self, refusal: ItemRefusal) -> str:
        return self.message(refusal.key, refusal.params, refusal.text)

    def _param(self, name: str, value: Param) -> Param:
        prefix = _LABELLED.get(name)
        if prefix is None or not isinstance(value, str):
            return value
        return self.label(prefix, value)


def translator(language: str | None) -> Translator:
    return Translator(language if language in LANGUAGES else DEFAULT_LANGUAGE)
