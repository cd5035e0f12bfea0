"""Translation for the TUI: ``_()`` bound to the running app's language.

Every string the TUI shows goes through the one catalogue in :mod:`core.i18n`
(msgids in English with ``{placeholders}``). ``_()`` translates at once, in
the language of the app that is running (Textual's ``active_app``), falling
back to the language the last app was created with; ``N_()`` marks a string
for extraction where it is defined and is translated where it is shown.
"""

from __future__ import annotations

from typing import Any

from core.i18n import N_, ngettext, normalise_lang, translate

__all__ = ["N_", "_", "current_lang", "n_", "set_default_lang"]

_default_lang = "en"


def set_default_lang(lang: str) -> None:
    """The language used when no app is active (set by ``create_app``)."""
    global _default_lang
    _default_lang = normalise_lang(lang)


def current_lang() -> str:
    from textual._context import active_app

    try:
        app = active_app.get()
    except LookupError:
        return _default_lang
    return getattr(app, "lang", _default_lang)


def _(msgid: str, **params: Any) -> str:
    """``msgid`` translated into the app's language, ``{placeholders}`` filled."""
    return translate(msgid, current_lang(), **params)


def n_(singular: str, plural: str, n: int, **params: Any) -> str:
    """The plural form for ``n`` in the app's language (gettext ``ngettext``);
    ``{n}`` is filled with ``n``."""
    return ngettext(singular, plural, n, current_lang(), **params)


def translate_bindings(node: Any, lang: str | None = None) -> None:
    """Translate the description and tooltip of every binding of ``node``.

    Bindings are declared at class level with English msgids (``N_``); each
    screen and the app call this once when created, so the footer, the help
    screen and the command palette show them in the app's language.
    """
    from dataclasses import replace

    lang = lang or current_lang()
    bmap = node._bindings
    bmap.key_to_bindings = {
        key: [
            replace(
                b,
                description=translate(b.description, lang) if b.description else "",
                tooltip=translate(b.tooltip, lang) if b.tooltip else "",
            )
            for b in bindings
        ]
        for key, bindings in bmap.key_to_bindings.items()
    }
