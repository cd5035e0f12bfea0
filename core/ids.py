"""Identity numbers: resident ID numbers (GB 11643) and masking (RULES.md §1).

Validation uses python-stdnum's ``stdnum.cn.ric`` for normalisation, the check
digit, the birth date and its GB/T 2260 region database, with two deliberate
differences from ``stdnum.cn.ric.validate``:

* Residence-permit numbers of Hong Kong, Macao and Taiwan residents (prefixes
  810000, 820000, 830000) are accepted; stdnum rejects them as unknown regions.
* A region code is accepted if it appears in stdnum's database for *any*
  period. stdnum also requires the code to have existed in the birth year,
  which rejects real people: codes are assigned at registration, not birth,
  so e.g. a Nanshan (440305, in use since 1990) resident born in 1950 is valid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from stdnum.util import isdigits

IdPart = Literal["length", "format", "check_digit", "birth_date", "region"]

ID_LENGTH = 18

#: Residence-permit prefixes (港澳台居民居住证) -> region.
PERMIT_PREFIXES: dict[str, Literal["HK", "MO", "TW"]] = {
    "810000": "HK",
    "820000": "MO",
    "830000": "TW",
}

_MASK = "*"
_MIN_HIDDEN = 3  # never show so much that fewer than this many chars are hidden


class IdNumberError(ValueError):
    """An invalid ID number; ``part`` names what is wrong."""

    def __init__(self, part: IdPart, message: str) -> None:
        super().__init__(message)
        self.part: IdPart = part


@dataclass(frozen=True)
class IdInfo:
    """A validated ID number and the facts encoded in it."""

    number: str
    birth_date: date
    sex: Literal["M", "F"]
    region_code: str
    is_permit: bool
    permit_region: Literal["HK", "MO", "TW"] | None


def _normalise(value: object) -> str:
    """NFKC (full-width digits -> ASCII), drop all whitespace, upper-case."""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split()).upper()


def compute_check_digit(first17: str) -> str:
    """GB 11643 check digit ("0"-"9" or "X") for the first 17 digits."""
    if len(first17) != ID_LENGTH - 1 or not isdigits(first17):
        raise IdNumberError("format", "compute_check_digit needs exactly 17 digits.")
    # stdnum's calc_check_digit takes all 18 characters and ignores the last.
    return ric.calc_check_digit(first17 + "0")


def _region_known(code: str) -> bool:
    """True if stdnum's GB/T 2260 database has the code for any period."""
    parts = numdb.get("cn/loc").info(code)
    return any(props.get("county") for _, props in parts)


def validate_id_number(value: str, today: date | None = None) -> IdInfo:
    """Validate an 18-character ID or HK/MO/TW residence-permit number.

    Checks in order: length, format, check digit, birth date (a real date,
    not after ``today``), region. Raises :class:`IdNumberError`.
    """
    today = today or date.today()
    if not isinstance(value, str):
        raise IdNumberError("format", "ID number format is wrong: it must be text.")
    number = ric.compact(_normalise(value))

    if len(number) != ID_LENGTH:
        hint = " (15-digit first-generation numbers are not accepted)" if len(number) == 15 else ""
        raise IdNumberError(
            "length",
            f"ID number length is wrong: it must have {ID_LENGTH} characters, got {len(number)}{hint}.",
        )
    if not isdigits(number[:-1]) or not (isdigits(number[-1]) or number[-1] == "X"):
        raise IdNumberError(
            "format",
            "ID number format is wrong: the first 17 characters must be digits "
            "and the last a digit or X.",
        )
    if number[-1] != compute_check_digit(number[:-1]):
        raise IdNumberError(
            "check_digit",
            "ID number check digit does not match the first 17 digits; a character was probably mistyped.",
        )
    try:
        birth = ric.get_birth_date(number)
    except ValidationError as exc:
        raise IdNumberError(
            "birth_date", "ID number birth date (characters 7-14) is not a real date."
        ) from exc
    if birth > today:
        raise IdNumberError(
            "birth_date", "ID number birth date (characters 7-14) is in the future."
        )

    region = number[:6]
    permit_region = PERMIT_PREFIXES.get(region)
    if permit_region is None and not _region_known(region):
        raise IdNumberError(
            "region", "ID number region code (first 6 digits) is not a known administrative division."
        )

    return IdInfo(
        number=number,
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
        region_code=region,
        is_permit=permit_region is not None,
        permit_region=permit_region,
    )


def _mask(value: object, head: int, tail: int) -> str:
    """Keep ``head`` + ``tail`` chars, falling back to tail only, then to none,
    so that at least ``_MIN_HIDDEN`` characters are always hidden."""
    try:
        text = "" if value is None else _normalise(value)
    except Exception:  # noqa: BLE001 - masking must never raise
        return ""
    n = len(text)
    if n - head - tail < _MIN_HIDDEN:
        head = 0
    if n - head - tail < _MIN_HIDDEN:
        tail = 0
    return text[:head] + _MASK * (n - head - tail) + (text[n - tail:] if tail else "")


def mask_id_number(value: str | None) -> str:
    """``440305199001011234`` -> ``4403**********1234``; other lengths keep
    only the last 4 (or nothing, if too short). Never raises."""
    text = "" if value is None else value
    try:
        full = len(_normalise(text)) == ID_LENGTH
    except Exception:  # noqa: BLE001
        return ""
    return _mask(text, 4 if full else 0, 4)


def mask_card_number(value: str | None) -> str:
    """Social security card number: keep first 2 and last 4 when at least 3
    characters stay hidden (``E1***5678``), else less. Never raises."""
    return _mask(value, 2, 4)


def is_probably_id_number(query: str) -> bool:
    """True if a search query looks like an ID number rather than a name:
    17 digits + digit/X, or 15 or more digits."""
    text = _normalise(query)
    if isdigits(text) and len(text) >= 15:
        return True
    return len(text) == ID_LENGTH and isdigits(text[:-1]) and text[-1] == "X"


# An ID number (15-18 digits, last may be X) or a card number (letters then
# 6 or more digits) inside free text: log lines, error messages.
_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15,16}|[A-Za-z]{0,4}\d{6,}[A-Za-z0-9]*)(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    """``text`` with every ID-like and card-like number masked (for logs)."""

    def _one(m: re.Match[str]) -> str:
        token = m.group()
        return mask_id_number(token) if len(token) == ID_LENGTH and token[:17].isdigit() else mask_card_number(token)

    return _NUMBER_IN_TEXT.sub(_one, str(text))
