"""Search keys of a person's name: full pinyin and initials (pypinyin).

Computed once when a name is written (``core.services.registry.add_enrollee``,
which the importer and the demo go through; the 0004 migration backfills) and
stored beside the name, where the lookup's indexes find them
(``core.services.lookup``). Keys are lower-case ASCII without tones or
separators: 李风良 → ``lifengliang`` / ``lfl``; a name in Latin letters keeps
its letters (``Li Lei`` → ``lilei`` / ``ll``).

A surname character with more than one reading (曾 ceng/zeng, 单 dan/shan,
解 jie/xie) gives one variant per reading, space-separated, so the caseworker
finds the person whichever reading they say; the first variant is pypinyin's
reading of the whole name in context.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin, pinyin

MAX_VARIANTS = 3
_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class NameKeys:
    pinyin: str  # "lifengliang" (variants space-separated)
    initials: str  # "lfl"


def _syllables(text: str) -> list[str]:
    """Lower-case pinyin syllables of the Chinese characters in ``text`` and
    the words of anything else (Latin letters and digits), in order."""
    out: list[str] = []
    for part in lazy_pinyin(text, style=Style.NORMAL, v_to_u=False, errors="default"):
        out.extend(_WORD.findall(unicodedata.normalize("NFKC", part).lower()))
    return out


def name_keys(name: str) -> NameKeys:
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        return NameKeys("", "")
    first = _syllables(name)
    variants = [first]
    head = name[0]
    if head != name and "\u4e00" <= head <= "\u9fff":
        rest = first[1:]
        for reading in pinyin(head, style=Style.NORMAL, heteronym=True)[0]:
            v = [reading.lower(), *rest]
            if v not in variants and len(variants) < MAX_VARIANTS:
                variants.append(v)
    return NameKeys(
        pinyin=" ".join("".join(v) for v in variants),
        initials=" ".join(dict.fromkeys("".join(s[0] for s in v) for v in variants)),
    )
