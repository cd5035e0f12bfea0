"""Line breaks in Chinese text.

Rich wraps text at spaces only, and Chinese has none: a sentence is one
"word", moved whole to the next line (``账户自 2026-10-28`` alone, then the
rest) or folded at any cell, the middle of an article tag included
(``SZ-M`` / ``T Art. 14``). :func:`install` lets Rich break between any two
Chinese characters, keeps closing punctuation (，。）) with the character
before it and opening punctuation (（《) with the one after, and leaves runs
of Latin letters and digits (numbers, codes, ``SZ-MT``) whole.
"""

from __future__ import annotations

import re

_CJK = "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60"
_OPEN = "\uff08\u300a\u300c\u300e\u3010\u3008\u201c\u2018\uff3b\uff5b"  # （《「『【〈“‘［｛
_CLOSE = "\uff0c\u3002\u3001\uff1b\uff1a\uff01\uff1f\uff09\u300b\u300d\u300f\u3011\u3009\u201d\u2019\uff3d\uff5d"

#: one breakable unit: a Chinese character or a run of anything else, with
#: opening punctuation before, closing punctuation and spaces after
WORD = re.compile(
    rf"\s*(?:[{_OPEN}]*(?:[{_CJK}]|[^\s{_CJK}{_OPEN}{_CLOSE}]+)[{_CLOSE}]*|\S)\s*"
)


def install() -> None:
    import rich._wrap

    rich._wrap.re_word = WORD
