"""Screens, and the registry of workflow screens opened from the enrollee view.

``WORKFLOW_SCREENS`` maps a workflow name (the same word as in
``core/services/``) to ``"module:Class"``. Adding a workflow screen is one
line here: the class is a :class:`tui.screens.base.WorkflowScreen`
subclass, built as ``cls(enrollee_id=...)`` and imported only when opened.
The keys that open each workflow from the enrollee view are in
``tui.screens.enrollee.WORKFLOW_KEYS``; a workflow with a key but no entry
here (or whose module does not exist yet) shows "not available yet".
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from textual.screen import Screen

WORKFLOW_SCREENS: dict[str, str] = {
    "eligibility": "tui.screens.eligibility:QuickCheckScreen",
    "history": "tui.screens.history:HistoryScreen",
    "certificates": "tui.screens.certificates:CertificatesScreen",
    "books": "tui.screens.books:BooksScreen",
    "replacements": "tui.screens.replacements:ReplacementsScreen",
    "batches": "tui.screens.batches:BatchesScreen",
    "offsite": "tui.screens.offsite:OffsiteScreen",
    "health_centre": "tui.screens.health_centre:HealthCentreScreen",
    "investigations": "tui.screens.investigations:InvestigationsScreen",
    "facts": "tui.screens.facts:FactsScreen",
    "stays": "tui.screens.facts:StaysScreen",
    "claims": "tui.screens.claims:ClaimsScreen",
}


def load_workflow_screen(name: str) -> type[Screen] | None:
    """The screen class registered for ``name``; None when nothing is
    registered or the registered module is not written yet (an error inside
    an existing module is raised, not hidden)."""
    target = WORKFLOW_SCREENS.get(name)
    if target is None:
        return None
    module_name, _, class_name = target.partition(":")
    if find_spec(module_name) is None:
        return None
    return getattr(import_module(module_name), class_name)
