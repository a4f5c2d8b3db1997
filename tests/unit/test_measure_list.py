"""The lists and the measure list as data (issue 6): every measure has a legal basis at
article level, references are checked, local files add or replace entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalog.loader import load_catalog
from xinyong.errors import ConfigurationError, NotFound
from xinyong.measures.loader import load_measures

ITEMS = list(load_catalog().items)
MEASURE: dict[str, Any] = {
    "code": "xm-awards",
    "kind": "punish",
    "content": "取消评优评先资格",
    "targets": ["legal_person"],
    "triggers": {"lists": ["samr-serious"]},
    "legal_basis": [
        {
            "document": "《厦门经济特区社会信用条例》",
            "article": "第三十条",
            "level": "local_regulation",
        }
    ],
    "implementer": "各级行政机关",
    "scenarios": ["awards"],
}


def _write(tmp_path: Path, content: dict[str, Any]) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def _refused(tmp_path: Path, content: dict[str, Any]) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as caught:
        load_measures(ITEMS, [_write(tmp_path, content)])
    return caught.value


def test_shipped_lists_and_measures_load_with_their_bases() -> None:
    book = load_measures(ITEMS)
    assert {"samr-serious", "abnormal", "key-attention", "tax-a"} <= set(book.lists)
    procurement = book.measures_for("procurement")
    assert [m.code for m in procurement] == ["procurement-listed", "procurement-major-violation"]
    law = book.measures["procurement-major-violation"].legal_basis[0]
    assert law.text == "《中华人民共和国政府采购法》第二十二条第一款第（五）项"
    assert law.level == "law" and law.confirmed
    assert all(m.legal_basis for m in book.measures.values())


def test_a_measure_without_a_legal_basis_cannot_be_loaded(tmp_path: Path) -> None:
    err = _refused(tmp_path, {"measures": [{**MEASURE, "legal_basis": []}]})
    assert err.field == "legal_basis"
    assert "必须有法律法规或政策依据" in err.message and "xm-awards" in err.message
    missing = {k: v for k, v in MEASURE.items() if k != "legal_basis"}
    assert _refused(tmp_path, {"measures": [missing]}).field == "legal_basis"


def test_a_basis_without_an_article_is_refused(tmp_path: Path) -> None:
    basis = [{"document": "《某条例》", "level": "regulation"}]
    err = _refused(tmp_path, {"measures": [{**MEASURE, "legal_basis": basis}]})
    assert err.field == "legal_basis.0.article" and "缺少必填字段" in err.message


def test_a_local_policy_basis_loads_and_is_marked(tmp_path: Path) -> None:
    basis = [{"document": "《某市信用奖惩实施方案》", "article": "第五条", "level": "local_policy"}]
    book = load_measures(
        ITEMS, [_write(tmp_path, {"measures": [{**MEASURE, "legal_basis": basis}]})]
    )
    assert book.measures["xm-awards"].local_policy_only
    assert not book.measures["funding-serious"].local_policy_only


@pytest.mark.parametrize(
    ("change", "field", "zh"),
    [
        ({"scenarios": ["lottery"]}, "scenarios", "未定义的应用场景：lottery"),
        ({"triggers": {"lists": ["nope"]}}, "triggers.lists", "未定义的名单：nope"),
        ({"triggers": {"records": [{"item": "zzz"}]}}, "triggers.records", "未定义的信息事项"),
        ({"triggers": {}}, "triggers", "须由名单或信用记录触发"),
    ],
)
def test_references_are_checked(
    tmp_path: Path, change: dict[str, Any], field: str, zh: str
) -> None:
    err = _refused(tmp_path, {"measures": [{**MEASURE, **change}]})
    assert err.field == field and zh in err.message


def test_a_local_file_replaces_by_code_and_adds(tmp_path: Path) -> None:
    local = {**MEASURE, "code": "funding-serious", "content": "限制申请市级财政专项资金"}
    book = load_measures(ITEMS, [_write(tmp_path, {"measures": [local, MEASURE]})])
    assert book.measures["funding-serious"].content == "限制申请市级财政专项资金"
    assert "xm-awards" in book.measures
    assert book.origins["funding-serious"].endswith("local.yaml")


def test_a_list_moving_entries_on_correction_must_name_a_known_list(tmp_path: Path) -> None:
    book = load_measures(ITEMS)
    black = book.lists["samr-serious"].model_dump()
    ok = load_measures(
        ITEMS, [_write(tmp_path, {"lists": [{**black, "on_correction": "key-attention"}]})]
    )
    assert ok.lists["samr-serious"].on_correction == "key-attention"
    err = _refused(tmp_path, {"lists": [{**black, "on_correction": "nowhere"}]})
    assert err.field == "on_correction" and "名单 nowhere 未定义" in err.message


def test_unknown_scenario_is_a_clear_error() -> None:
    book = load_measures(ITEMS)
    with pytest.raises(NotFound) as caught:
        book.require_scenario("lottery")
    assert "未知的应用场景“lottery”" in caught.value.message
    assert book.require_scenario("procurement") == "procurement"
