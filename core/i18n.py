"""One message catalogue for core and TUI (gettext ``.po`` files, read with Babel).

Message ids are the English text with ``{name}`` placeholders. Catalogues live
in ``data/locale/<lang>/LC_MESSAGES/casedesk.po``; ``en`` and ``zh_CN`` are
complete (checked by ``tests/test_i18n.py``). Mark strings for extraction with
``N_()`` where they are defined and translate them with ``translate()`` where
they are shown.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

SUPPORTED = ("en", "zh_CN")
DOMAIN = "casedesk"


def N_(msgid: str) -> str:
    """Mark a string for the catalogue without translating it here."""
    return msgid


def normalise_lang(value: str | None) -> str:
    """Map ``zh``, ``zh_CN.UTF-8``, ``zh-Hans`` … to a supported language."""
    if not value:
        return "en"
    v = value.split(".")[0].replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_CN"
    return "en"


def lang_from_env() -> str:
    for var in ("CASEDESK_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        val = os.environ.get(var)
        if val:
            return normalise_lang(val)
    return "en"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> msgstr for a language (empty translations left out)."""
    from babel.messages.pofile import read_po

    from core.paths import data_dir

    path = data_dir() / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang)
    out: dict[str, str] = {}
    for msg in cat:
        if msg.id and isinstance(msg.id, str) and msg.string:
            out[msg.id] = msg.string  # type: ignore[assignment]
    return out


def gettext(msgid: str, lang: str = "en") -> str:
    return catalogue(normalise_lang(lang)).get(msgid, msgid)


@lru_cache(maxsize=None)
def plural_catalogue(lang: str) -> tuple[dict[str, tuple[str, ...]], Any]:
    """(singular msgid -> plural forms, n -> form index) for a language."""
    import gettext as stdlib_gettext

    from babel.messages.pofile import read_po

    from core.paths import data_dir

    path = data_dir() / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}, lambda n: int(n != 1)
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang)
    forms: dict[str, tuple[str, ...]] = {}
    for msg in cat:
        if isinstance(msg.id, tuple) and isinstance(msg.string, tuple) and all(msg.string):
            forms[msg.id[0]] = tuple(msg.string)
    return forms, stdlib_gettext.c2py(cat.plural_expr)


def ngettext(singular: str, plural: str, n: int, lang: str = "en", **params: Any) -> str:
    """The form of ``singular`` / ``plural`` for the number ``n`` in ``lang``
    (gettext plural forms from the catalogue), ``{placeholders}`` filled; ``n``
    is passed as ``{n}`` unless given."""
    forms, index = plural_catalogue(normalise_lang(lang))
    found = forms.get(singular)
    if found:
        text = found[min(index(n), len(found) - 1)]
    else:
        text = singular if n == 1 else plural
    params.setdefault("n", n)
    params = {k: (v.text(lang) if isinstance(v, (Bilingual, Msg, Code)) else v) for k, v in params.items()}
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return (singular if n == 1 else plural).format(**params)


@dataclass(frozen=True)
class Bilingual:
    """A message parameter that has its own English and Chinese text (a
    disease or institution name); :func:`translate` picks the language."""

    en: str
    zh: str = ""

    def text(self, lang: str) -> str:
        return (self.zh or self.en) if normalise_lang(lang) == "zh_CN" else self.en

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Msg:
    """A message parameter that is itself a msgid (``action=Msg(N_("confirm"))``),
    translated into the same language as the message around it."""

    msgid: str

    def text(self, lang: str) -> str:
        return gettext(self.msgid, lang)

    def __str__(self) -> str:
        return self.msgid


@dataclass(frozen=True)
class Code:
    """A stored code used as a message parameter (``status=Code("book_status",
    book.status)``), shown through its label in :mod:`core.labels`."""

    kind: str
    value: str

    def text(self, lang: str) -> str:
        from core.labels import LABELS

        msgid = LABELS.get(self.kind, {}).get(str(self.value))
        return gettext(msgid, lang) if msgid else str(self.value)

    def __str__(self) -> str:
        return str(self.value)


def translate(msgid: str, lang: str = "en", **params: Any) -> str:
    text = gettext(msgid, lang)
    if params:
        params = {k: (v.text(lang) if isinstance(v, (Bilingual, Msg, Code)) else v) for k, v in params.items()}
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return msgid.format(**params)
    return text
