"""Malformed catalog files fail at load with messages naming file, item and field."""

from pathlib import Path

import pytest

from xinyong.catalog.loader import load_catalog
from xinyong.errors import ConfigurationError

ITEM_HEAD = """
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
"""

GOOD_FIELDS = """
    fields:
      - {code: A_MC, name: 名称, type: string, required: true}
      - {code: A_WSH, name: 文书号, type: string, required: true}
      - {code: A_RQ, name: 决定日期, type: date, required: true}
      - {code: A_JGDM, name: 机关代码, type: code, required: true}
"""


def _load(tmp_path: Path, text: str, name: str = "local.yaml") -> ConfigurationError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_catalog([path])
    return caught.value


def test_good_fields_load(tmp_path: Path) -> None:
    path = tmp_path / "local.yaml"
    path.write_text(ITEM_HEAD + GOOD_FIELDS, encoding="utf-8")
    assert "xyz" in load_catalog([path]).items


def test_invalid_field_type_names_file_item_and_path(tmp_path: Path) -> None:
    text = ITEM_HEAD + GOOD_FIELDS.replace("type: code", "type: boolean")
    error = _load(tmp_path, text)
    assert error.message.startswith("目录文件 local.yaml：事项 xyz 的字段 fields[3].type 取值无效")
    assert "boolean" in error.message
    assert "local.yaml" in error.message_en and "fields[3].type" in error.message_en
    assert error.field == "fields[3].type"


def test_missing_and_unknown_keys(tmp_path: Path) -> None:
    error = _load(tmp_path, ITEM_HEAD + GOOD_FIELDS.replace("name: 名称, ", ""))
    assert "fields[0].name" in error.message and "缺少必填项" in error.message
    error = _load(tmp_path, ITEM_HEAD + GOOD_FIELDS.replace("required: true}", "requird: true}", 1))
    assert "fields[0].requird" in error.message and "不是允许的键" in error.message


def test_required_when_naming_an_unknown_field(tmp_path: Path) -> None:
    extra = (
        "      - {code: A_JE, name: 金额, type: decimal, "
        "required_when: {field: A_LB, equals: 罚款}}\n"
    )
    error = _load(tmp_path, ITEM_HEAD + GOOD_FIELDS + extra)
    assert "fields[4].required_when.field" in error.message
    assert "A_LB" in error.message


def test_condition_value_must_be_an_enum_value(tmp_path: Path) -> None:
    extra = (
        "      - {code: A_LB, name: 类别, type: enum, enum: [法人及非法人组织, 自然人]}\n"
        "      - {code: A_SFZ, name: 证件号码, type: id_number, "
        "required_when: {field: A_LB, equals: 法人和非法人组织}}\n"
    )
    error = _load(tmp_path, ITEM_HEAD + GOOD_FIELDS + extra)
    assert "fields[5].required_when" in error.message and "法人和非法人组织" in error.message


def test_duplicate_field_codes_and_shared_aliases(tmp_path: Path) -> None:
    error = _load(
        tmp_path, ITEM_HEAD + GOOD_FIELDS + "      - {code: A_MC, name: 别名, type: string}\n"
    )
    assert "fields[4].code" in error.message and "重复" in error.message
    error = _load(
        tmp_path,
        ITEM_HEAD
        + GOOD_FIELDS
        + "      - {code: A_BM, name: 别称, aliases: [文书号], type: string}\n",
    )
    assert "fields[4].aliases[0]" in error.message and "文书号" in error.message


def test_enum_without_values(tmp_path: Path) -> None:
    error = _load(
        tmp_path, ITEM_HEAD + GOOD_FIELDS + "      - {code: A_LB, name: 类别, type: enum}\n"
    )
    assert "fields[4]" in error.message and "enum" in error.message


def test_key_fields_must_exist(tmp_path: Path) -> None:
    error = _load(tmp_path, ITEM_HEAD.replace("[A_JGDM, A_WSH]", "[A_JGDM, A_NOPE]") + GOOD_FIELDS)
    assert "key_fields[1]" in error.message and "A_NOPE" in error.message


def test_personal_public_field_needs_a_mask(tmp_path: Path) -> None:
    extra = "      - {code: A_SFZ, name: 身份证号, type: id_number, personal: true}\n"
    error = _load(tmp_path, ITEM_HEAD + GOOD_FIELDS + extra)
    assert "fields[4]" in error.message and "mask" in error.message


def test_duplicate_item_in_one_file(tmp_path: Path) -> None:
    body = ITEM_HEAD + GOOD_FIELDS
    second = body.split("items:\n", 1)[1]
    error = _load(tmp_path, body + second)
    assert "items[1]" in error.message and "xyz" in error.message


def test_extending_an_unknown_item(tmp_path: Path) -> None:
    error = _load(tmp_path, "items:\n  - extends: nope\n    add_fields: []\n")
    assert "事项 nope" in error.message and "extends" in error.message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = _load(tmp_path, "items:\n  - code: [unclosed\n")
    assert "local.yaml" in error.message and "YAML" in error.message and "行" in error.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_catalog([tmp_path / "absent.yaml"])
    assert "absent.yaml" in caught.value.message and "不存在" in caught.value.message
