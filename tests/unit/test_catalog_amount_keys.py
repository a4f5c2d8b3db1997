"""The amount keys of a field (currency_field, yuan_suspect_at) are checked at load."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from xinyong.catalog.loader import load_catalog
from xinyong.catalog.rules import validate_values
from xinyong.errors import ConfigurationError

ITEM = """
items:
  - code: xyz
    name: 测试事项
    category: 其他
    disclosure: public
    rule_family: none
    negative: false
    key_fields: [A_JGDM, A_WSH]
    decision_date_field: A_RQ
    authority_code_field: A_JGDM
    fields:
      - {code: A_WSH, name: 文书号, type: string, required: true}
      - {code: A_RQ, name: 决定日期, type: date, required: true}
      - {code: A_JGDM, name: 机关代码, type: code, required: true}
      - {code: A_BZ, name: 币种, type: enum, enum: [人民币, 美元]}
"""


def _load(tmp_path: Path, amount: str) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(ITEM + f"      - {{code: A_JE, name: 金额, {amount}}}\n", encoding="utf-8")
    return path


def _error(tmp_path: Path, amount: str) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        load_catalog([_load(tmp_path, amount)])
    return caught.value


def test_shipped_amounts_declare_currency_and_yuan_thresholds() -> None:
    catalog = load_catalog()
    capital = catalog.item("djzc").field("DJ_ZCZB")
    assert capital.currency_field == "DJ_ZBBZ"
    assert capital.yuan_suspect_at == Decimal("10000000")
    penalty = catalog.item("xzcf")
    for code in ("CF_NR_FK", "CF_NR_WFFF"):
        assert penalty.field(code).yuan_suspect_at == Decimal("10000")
        assert penalty.field(code).currency_field is None


def test_local_amount_with_currency_field_loads_and_fills_it(tmp_path: Path) -> None:
    amount = "type: decimal, unit: 万元, currency_field: A_BZ, yuan_suspect_at: 100"
    item = load_catalog([_load(tmp_path, amount)]).item("xyz")
    raw = {"A_WSH": "1号", "A_RQ": "2024-01-02", "A_JGDM": "X1", "A_JE": "3万美元"}
    checked = validate_values(item, raw, today=dt.date(2024, 6, 1))
    assert checked.ok and checked.problems == [], checked.problems
    assert checked.values["A_JE"] == Decimal("3") and checked.values["A_BZ"] == "美元"


def test_currency_field_must_name_a_field_of_the_item(tmp_path: Path) -> None:
    error = _error(tmp_path, "type: decimal, unit: 万元, currency_field: A_HB")
    assert error.message.startswith("目录文件 local.yaml：事项 xyz 的字段 fields[4].currency_field")
    assert "不存在的字段 A_HB" in error.message
    assert "fields[4].currency_field" in error.message_en


def test_currency_field_must_name_an_enumeration(tmp_path: Path) -> None:
    error = _error(tmp_path, "type: decimal, unit: 万元, currency_field: A_WSH")
    assert "fields[4].currency_field" in error.message
    assert "枚举型字段" in error.message and "A_WSH" in error.message


@pytest.mark.parametrize(
    "amount",
    [
        "type: decimal, currency_field: A_BZ",
        "type: decimal, unit: 元, yuan_suspect_at: 100",
        "type: string, unit: 万元, yuan_suspect_at: 100",
    ],
)
def test_amount_keys_only_on_amounts_in_wan_yuan(tmp_path: Path, amount: str) -> None:
    error = _error(tmp_path, amount)
    assert "fields[4]" in error.message
    assert "只有单位为万元的金额字段" in error.message


def test_yuan_threshold_must_be_positive(tmp_path: Path) -> None:
    error = _error(tmp_path, "type: decimal, unit: 万元, yuan_suspect_at: 0")
    assert "fields[4]" in error.message and "yuan_suspect_at 须大于 0" in error.message
