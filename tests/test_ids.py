"""RULES.md §1: resident ID numbers (18 characters, GB 11643 check digit)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ids import (
    IdNumberError,
    compute_check_digit,
    is_probably_id_number,
    mask_card_number,
    mask_id_number,
    validate_id_number,
)

TODAY = date(2026, 6, 15)

# GB 11643-1999 written out independently of the implementation under test.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def gb11643(first17: str) -> str:
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


# Region codes with no validity window in the GB/T 2260 data, plus Shenzhen
# district codes that only exist since 1983-1992 (must still be accepted for
# people born earlier: codes are assigned at registration, not at birth).
REGIONS = ["110101", "110105", "120101", "310101", "310104", "440303", "440304", "440305", "440306", "440307"]
PERMITS = {"810000": "HK", "820000": "MO", "830000": "TW"}

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def make_id(region: str, birth: date, seq: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + gb11643(first17)


@given(st.sampled_from(REGIONS), birth_dates, sequences)
def test_rules_s1_generated_valid_ids_validate(region: str, birth: date, seq: int) -> None:
    number = make_id(region, birth, seq)
    info = validate_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth
    assert info.region_code == region
    assert info.sex == ("M" if seq % 2 else "F")
    assert not info.is_permit and info.permit_region is None


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_rules_s1_compute_check_digit_is_gb11643(first17: str) -> None:
    assert compute_check_digit(first17) == gb11643(first17)


@given(st.sampled_from(REGIONS), birth_dates, sequences, st.data())
def test_rules_s1_wrong_check_digit_fails(region: str, birth: date, seq: int, data: st.DataObject) -> None:
    number = make_id(region, birth, seq)
    wrong = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[-1]]))
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(number[:-1] + wrong, today=TODAY)
    assert exc.value.part == "check_digit"


@given(st.sampled_from(REGIONS), birth_dates, sequences, st.integers(0, 16), st.data())
def test_rules_s1_any_single_digit_typo_fails_check_digit(
    region: str, birth: date, seq: int, pos: int, data: st.DataObject
) -> None:
    number = make_id(region, birth, seq)
    typo = data.draw(st.sampled_from([c for c in "0123456789" if c != number[pos]]))
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(number[:pos] + typo + number[pos + 1 :], today=TODAY)
    assert exc.value.part == "check_digit"


@given(st.sampled_from(REGIONS), st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2099, 12, 31)), sequences)
def test_rules_s1_future_birth_date_fails(region: str, birth: date, seq: int) -> None:
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(make_id(region, birth, seq), today=TODAY)
    assert exc.value.part == "birth_date"


def test_rules_s1_birth_date_today_is_accepted() -> None:
    assert validate_id_number(make_id("110101", TODAY, 1), today=TODAY).birth_date == TODAY


def test_rules_s1_impossible_birth_date_fails() -> None:
    first17 = "11010119900230123"  # 30 February
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(first17 + gb11643(first17), today=TODAY)
    assert exc.value.part == "birth_date"


@pytest.mark.parametrize("region", ["999999", "440399", "000000"])
def test_rules_s1_unknown_region_fails(region: str) -> None:
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(make_id(region, date(1980, 5, 17), 123), today=TODAY)
    assert exc.value.part == "region"


@given(st.sampled_from(sorted(PERMITS)), birth_dates, sequences)
def test_rules_s1_hk_mo_tw_residence_permits_validate(prefix: str, birth: date, seq: int) -> None:
    number = make_id(prefix, birth, seq)
    info = validate_id_number(number, today=TODAY)
    assert info.is_permit
    assert info.permit_region == PERMITS[prefix]
    assert info.region_code == prefix
    assert info.birth_date == birth


def test_rules_s1_permit_with_wrong_check_digit_fails() -> None:
    number = make_id("830000", date(1975, 3, 9), 42)
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(number[:-1] + wrong, today=TODAY)
    assert exc.value.part == "check_digit"


@given(st.text(alphabet="0123456789", min_size=0, max_size=30).filter(lambda s: len(s) != 18))
def test_rules_s1_wrong_length_fails(value: str) -> None:
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(value, today=TODAY)
    assert exc.value.part == "length"


@pytest.mark.parametrize("value", ["11010119900101A23X", "1101011990010112Z3", "11010119900101123Y"])
def test_rules_s1_non_digit_fails_format(value: str) -> None:
    with pytest.raises(IdNumberError) as exc:
        validate_id_number(value, today=TODAY)
    assert exc.value.part == "format"


def test_rules_s1_error_is_a_value_error_and_names_the_part() -> None:
    number = make_id("110101", date(1990, 1, 1), 1)
    wrong = "5" if number[-1] != "5" else "6"
    with pytest.raises(ValueError, match="check digit"):
        validate_id_number(number[:-1] + wrong, today=TODAY)


def _id_ending_in_x() -> str:
    for seq in range(1000):
        number = make_id("440305", date(1962, 8, 30), seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no X check digit in 1000 sequences")


def test_rules_s1_lowercase_x_spaces_and_fullwidth_are_normalised() -> None:
    number = _id_ending_in_x()
    messy = " " + number[:6] + " " + number[6:14] + "\t" + number[14:-1] + "x "
    assert validate_id_number(messy, today=TODAY).number == number
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert validate_id_number(fullwidth, today=TODAY).number == number


def test_rules_s1_shenzhen_code_older_than_holder_is_accepted() -> None:
    # 440306 (Bao'an) exists only since 1992; stdnum.cn.ric.validate rejects
    # a 1950 birth with it, but real holders registered later exist.
    info = validate_id_number(make_id("440306", date(1950, 1, 1), 11), today=TODAY)
    assert info.region_code == "440306"


@given(st.sampled_from(REGIONS), birth_dates, sequences)
def test_mask_id_number_keeps_exactly_first_4_and_last_4(region: str, birth: date, seq: int) -> None:
    number = make_id(region, birth, seq)
    masked = mask_id_number(number)
    assert len(masked) == 18
    assert masked[:4] == number[:4]
    assert masked[-4:] == number[-4:]
    assert masked[4:-4] == "*" * 10


@given(st.one_of(st.none(), st.text(max_size=40)))
def test_masking_never_raises_and_never_reveals_everything(value: str | None) -> None:
    for masked in (mask_id_number(value), mask_card_number(value)):
        assert isinstance(masked, str)
        if masked:
            assert "*" in masked


@pytest.mark.parametrize(
    ("value", "expected"),
    [("440305500101123", "***********1123"), ("1234", "****"), ("", ""), (None, "")],
)
def test_mask_id_number_odd_input_keeps_at_most_last_4(value: str | None, expected: str) -> None:
    assert mask_id_number(value) == expected


def test_mask_card_number_keeps_first_2_last_4() -> None:
    assert mask_card_number("E12345678") == "E1***5678"
    assert mask_card_number("0123456789AB") == "01******89AB"
    assert mask_card_number("12345") == "*****"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("440305195001011231", True),
        ("44030519620830123x", True),
        ("440305500101123", True),
        ("4403 0519 5001 0112 31", True),
        ("44030519500101", False),
        ("Zhang San", False),
        ("张三", False),
        ("E12345678", False),
    ],
)
def test_is_probably_id_number(query: str, expected: bool) -> None:
    assert is_probably_id_number(query) is expected
