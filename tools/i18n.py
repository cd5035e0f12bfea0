"""Keep the message catalogues in step with the code.

    python tools/i18n.py update   # extract msgids from core/ and tui/, merge into data/locale/*/casedesk.po
    python tools/i18n.py missing  # list msgids with no zh_CN translation (exit 1 if any)
    python tools/i18n.py merge FILE.json …  # fill zh_CN from {msgid: translation} files

msgids are English text marked with ``N_()`` or ``_()``. The ``en`` catalogue
is the identity; ``zh_CN`` carries the translations.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "data" / "locale"
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2), "n_": (1, 2)}
LANGS = ("en", "zh_CN")


def extract() -> dict[str | tuple[str, str], list[str]]:
    """msgid (or (singular, plural)) -> places it is used."""
    found: dict[str | tuple[str, str], list[str]] = {}
    for pkg in ("core", "tui"):
        method_map = [("**.py", "python")]
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            str(ROOT / pkg), method_map=method_map, keywords=KEYWORDS, comment_tags=()
        ):
            if isinstance(message, tuple) and len(message) == 2 and all(isinstance(m, str) for m in message):
                message = (message[0], message[1])
            elif not (isinstance(message, str) and message):
                continue
            found.setdefault(message, []).append(f"{pkg}/{filename}:{lineno}")
    return found


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "casedesk.po"


def load(lang: str) -> Catalog:
    p = po_path(lang)
    if p.exists():
        with p.open("rb") as fh:
            return read_po(fh, locale=lang)
    return Catalog(locale=lang, domain="casedesk", project="casedesk")


def save(cat: Catalog, lang: str) -> None:
    p = po_path(lang)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("wb") as fh:
        write_po(fh, cat, width=0, omit_header=False, sort_output=True, include_lineno=False)


def update() -> None:
    found = extract()
    for lang in LANGS:
        old = load(lang)
        new = Catalog(locale=lang, domain="casedesk", project="casedesk", fuzzy=False)
        for msgid, places in sorted(found.items(), key=lambda item: _key(item[0])):
            prev = old.get(_key(msgid))
            if isinstance(msgid, tuple):  # plural forms: en keeps both, zh_CN has one
                if lang == "en":
                    text: str | tuple[str, ...] = msgid
                else:
                    text = prev.string if prev is not None and isinstance(prev.string, tuple) and all(
                        prev.string) else ("",) * new.num_plurals
            elif lang == "en":
                text = msgid
            else:
                text = prev.string if prev is not None and prev.string else ""
            new.add(msgid, text, locations=[(p.rsplit(":", 1)[0], None) for p in places[:3]])
        save(new, lang)
        print(f"{lang}: {len(found)} messages")


def _key(msgid: str | tuple[str, str]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _translated(msg) -> bool:
    if msg is None:
        return False
    return all(msg.string) if isinstance(msg.string, tuple) else bool(msg.string)


def merge_json(path: str, lang: str = "zh_CN") -> None:
    """Fill translations from a JSON object {msgid: translation}."""
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    cat = load(lang)
    n = 0
    for msg in cat:
        key = _key(msg.id) if msg.id else ""
        if key and key in data and data[key]:
            value = data[key]
            msg.string = tuple(value) if isinstance(msg.id, tuple) and isinstance(value, list) else (
                (value,) * cat.num_plurals if isinstance(msg.id, tuple) else value)
            n += 1
    save(cat, lang)
    print(f"{lang}: {n} translations merged from {path}")


def missing() -> int:
    found = extract()
    zh = load("zh_CN")
    miss = [_key(m) for m in found if not _translated(zh.get(_key(m)))]
    for m in sorted(miss):
        print(m)
    print(f"{len(miss)} of {len(found)} without a zh_CN translation", file=sys.stderr)
    return 1 if miss else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "update"
    if cmd == "update":
        update()
    elif cmd == "merge":
        for p in sys.argv[2:]:
            merge_json(p)
    elif cmd == "missing":
        raise SystemExit(missing())
    else:
        raise SystemExit(__doc__)
