"""casedesk core: domain model, policy, rules and services.

This package never imports Textual or the ``tui`` package (enforced by
``tests/test_layering.py`` and the import-linter contract in pyproject.toml).
"""

__version__ = "0.1.0"
