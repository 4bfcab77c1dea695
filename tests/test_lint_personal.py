"""Personal-data detectors: ID cards with the GB 11643 checksum, mobiles, bank cards (Luhn)."""

from __future__ import annotations

import pytest

from wxpub.core.lint.personal import (find_bank_cards, find_id_cards, find_mobiles, id_checksum_ok,
                                 luhn_ok, mask)

VALID_IDS = ["11010519491231002X", "12011619900307123X", "110101198001010010"]
VALID_CARDS = ["6217000123456789019", "6222021001122337", "4111111111111111"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers_are_found_and_masked(number):
    assert id_checksum_ok(number)
    found = find_id_cards(f"申请人身份证号{number}，已核验。")
    assert found == [(number, number[:4] + "*" * 10 + number[-4:])]


def test_lowercase_x_checksum_is_accepted():
    assert find_id_cards("号码11010519491231002x")


@pytest.mark.parametrize("text", [
    "11010519491231002Y",            # not a digit or X
    "110105194912310021",            # wrong checksum
    "110105194913310029",            # month 13 (no valid date)
    "911201167186781234X",           # 19 characters: part of a longer code
    "统一社会信用代码91120116MA05K1234X",  # letters around
])
def test_invalid_or_embedded_id_numbers_are_ignored(text):
    assert find_id_cards(text) == []


def test_checksum_is_what_decides():
    base = "11010519491231002"
    hits = [c for c in "0123456789X" if find_id_cards(base + c)]
    assert hits == ["X"]


@pytest.mark.parametrize("text, masked", [
    ("联系电话13812345678。", "138****5678"),
    ("联系电话：+86 138-1234-5678", "138****5678"),
    ("热线 199 8765 4321", "199****4321"),
])
def test_mobile_numbers_are_found(text, masked):
    assert [m for _, m in find_mobiles(text)] == [masked]


@pytest.mark.parametrize("text", [
    "2023年累计新建改造5G基站3209个，全区5G基站累计达到13564个",
    "坐标0.1945_0_1_0.5236",
    "金额12345678901元",                 # 12x is not a mobile prefix
    "编号138123456789",                  # 12 digits
    "比例0.13812345678",                 # decimal part
    "津滨政办发〔2023〕11号，1-11月新增就业9.2万人",
])
def test_ordinary_numbers_are_not_mobiles(text):
    assert find_mobiles(text) == []


@pytest.mark.parametrize("card", VALID_CARDS)
def test_luhn_valid_cards_are_found(card):
    assert luhn_ok(card)
    assert [m for _, m in find_bank_cards(f"收款账号{card}")] == [mask(card)]


def test_grouped_card_number_is_found():
    assert find_bank_cards("卡号 6222 0210 0112 2337") != []


@pytest.mark.parametrize("text", [
    "6222021001122338",                  # Luhn fails
    "1234567812345670",                  # Luhn passes but no card prefix
    "11010519491231002X",                # an ID number is not also a bank card
    "累计达成数据交易额1.58亿，签约数据商155家，上架4175项",
])
def test_non_cards_are_ignored(text):
    assert find_bank_cards(text) == []


def test_mask_keeps_only_ends():
    assert mask("11010519491231002X") == "1101**********002X"
    assert mask("6222 0210 0112 2337") == "6222********2337"
    assert mask("123") == "***"
