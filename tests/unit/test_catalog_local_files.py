"""A city's extra catalog files add local items, replace or extend national ones."""

import datetime as dt
from pathlib import Path

from xinyong.catalog.loader import load_catalog
from xinyong.catalog.rules import validate_values

LOCAL_ITEM = """
version: xm-2025.1
title: 厦门市公共信用信息补充目录
items:
  - code: xm_gjjqj
    name: 住房公积金欠缴信息
    category: 其他失信信息
    disclosure: authorised
    rule_family: none
    negative: true
    local: true
    key_fields: [GJJ_JGDM, GJJ_WSH]
    decision_date_field: GJJ_RDRQ
    authority_code_field: GJJ_JGDM
    subject_fields: {name: GJJ_DWMC, uscc: GJJ_SHXYM}
    fields:
      - {code: GJJ_DWMC, name: 单位名称, type: string, max_length: 200, required: true}
      - {code: GJJ_SHXYM, name: 统一社会信用代码, type: code, max_length: 18, required: true}
      - {code: GJJ_WSH, name: 认定文书号, type: string, required: true}
      - {code: GJJ_QJJE, name: 欠缴金额, type: decimal, unit: 万元, minimum: 0}
      - {code: GJJ_RDRQ, name: 认定日期, type: date, required: true}
      - {code: GJJ_JGDM, name: 认定机关统一社会信用代码, type: code, required: true}
"""

EXTENDS_PENALTY = """
version: xm-ext
items:
  - extends: xzcf
    add_fields:
      - code: CF_XM_AJBH
        name: 案件编号
        aliases: [案号]
        type: string
        max_length: 64
    replace_fields:
      - code: CF_XDR_ZJHM
        name: 证件号码
        type: id_number
        max_length: 64
        personal: true
        mask: {mode: hide}
        public: false
"""

REPLACE_LICENCE = """
items:
  - code: xzxk
    name: 行政许可（本市简化版）
    category: 行政管理信息
    disclosure: public
    rule_family: none
    negative: false
    key_fields: [XK_XKJGDM, XK_WSH]
    decision_date_field: XK_JDRQ
    authority_code_field: XK_XKJGDM
    fields:
      - {code: XK_XDR_MC, name: 行政相对人名称, type: string, required: true}
      - {code: XK_WSH, name: 行政许可决定文书号, type: string, required: true}
      - {code: XK_JDRQ, name: 许可决定日期, type: date, required: true}
      - {code: XK_XKJGDM, name: 许可机关统一社会信用代码, type: code, required: true}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_local_item_is_added_after_the_national_ones(tmp_path: Path) -> None:
    national = load_catalog()
    catalog = load_catalog([_write(tmp_path, "xiamen.yaml", LOCAL_ITEM)])
    assert list(catalog.items)[-1] == "xm_gjjqj"
    assert set(national.items) < set(catalog.items)
    item = catalog.item("xm_gjjqj")
    assert item.local and item.disclosure == "authorised"
    assert catalog.version == "2024.1+xm-2025.1"
    assert catalog.sha256 != national.sha256
    checked = validate_values(
        item,
        {
            "单位名称": "厦门某某有限公司",
            "GJJ_SHXYM": "91110000600037341L",
            "GJJ_WSH": "厦公积〔2024〕1号",
            "GJJ_RDRQ": "2024/05/06",
            "GJJ_JGDM": "121200004013590816",
            "欠缴金额": "3.2",
        },
        today=dt.date(2024, 6, 1),
    )
    assert checked.ok, checked.problems
    assert checked.values["GJJ_RDRQ"] == dt.date(2024, 5, 6)


def test_extends_adds_local_fields_and_replaces_a_mask(tmp_path: Path) -> None:
    catalog = load_catalog([_write(tmp_path, "ext.yaml", EXTENDS_PENALTY)])
    cf = catalog.item("xzcf")
    added = cf.field("CF_XM_AJBH")
    assert added.local and cf.field_codes[-1] == "CF_XM_AJBH"
    assert cf.resolve_column("案号") is added
    replaced = cf.field("CF_XDR_ZJHM")
    assert not replaced.public and replaced.mask is not None and replaced.mask.mode == "hide"
    # the rest of the national item is kept
    assert cf.field("CF_NR_FK").unit == "万元"
    assert cf.field_codes.index("CF_XDR_ZJHM") == load_catalog().item("xzcf").field_codes.index(
        "CF_XDR_ZJHM"
    )


def test_same_code_replaces_the_whole_item(tmp_path: Path) -> None:
    catalog = load_catalog([_write(tmp_path, "licence.yaml", REPLACE_LICENCE)])
    xk = catalog.item("xzxk")
    assert xk.name == "行政许可（本市简化版）"
    assert len(xk.fields) == 4
    assert list(catalog.items).index("xzxk") == 1  # keeps its place
    assert catalog.version == "2024.1+licence"  # no version in the file: its name


def test_files_apply_in_order(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.yaml", LOCAL_ITEM)
    second = _write(tmp_path, "b.yaml", EXTENDS_PENALTY)
    catalog = load_catalog([first, second])
    assert "xm_gjjqj" in catalog.items
    assert catalog.item("xzcf").has_field("CF_XM_AJBH")
    assert catalog.sources[1:] == (str(first), str(second))
