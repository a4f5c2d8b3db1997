"""What public surfaces show of a record: public fields, personal data masked."""

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson

from xinyong.catalog.loader import load_catalog
from xinyong.catalog.rules import is_personal, public_view, validate_values

CF = load_catalog().item("xzcf")


def person_penalty() -> dict[str, Any]:
    raw = {
        "CF_XDR_MC": "张三",
        "CF_XDR_LB": "自然人",
        "CF_XDR_ZJLX": "身份证",
        "CF_XDR_ZJHM": "360426199101010071",
        "CF_WSH": "厦市监罚〔2024〕13号",
        "CF_WFXW": "无照经营",
        "CF_SY": "经查……",
        "CF_YJ": "《无证无照经营查处办法》第十三条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款五千元",
        "CF_NR_FK": "0.5",
        "CF_JDRQ": "2024/03/05",
        "CF_YXQ": "2025/03/05",
        "CF_CFJG": "厦门市市场监督管理局",
        "CF_CFJGDM": "121200004013590816",
        "CF_SJLY": "厦门市市场监督管理局",
        "CF_SJLYDM": "121200004013590816",
        "CF_SXYZCD": "轻微",
    }
    checked = validate_values(CF, raw, today=dt.date(2024, 6, 1))
    assert checked.ok, checked.problems
    return checked.values


def test_person_id_number_is_masked_six_and_four() -> None:
    view = public_view(CF, person_penalty())
    assert view["CF_XDR_ZJHM"] == "360426********0071"
    assert "360426199101010071" not in orjson.dumps(view).decode()


def test_natural_persons_name_is_published_as_it_is() -> None:
    values = person_penalty()
    assert is_personal(CF.field("CF_XDR_MC"), values)
    assert public_view(CF, values)["CF_XDR_MC"] == "张三"


def test_hidden_and_non_public_fields_are_absent() -> None:
    values = person_penalty()
    values["CF_FR_ZJHM"] = "360426199101010071"  # a representative's ID: hidden
    view = public_view(CF, values)
    assert "CF_FR_ZJHM" not in view
    assert "CF_SXYZCD" not in view  # local severity: not for public surfaces
    assert "CF_FR_ZJLX" not in view


def test_view_is_json_friendly_and_in_field_order() -> None:
    view = public_view(CF, person_penalty())
    assert view["CF_JDRQ"] == "2024-03-05"
    assert view["CF_NR_FK"] == "0.5"
    assert view["CF_CFLB"] == ["罚款"]
    orjson.dumps(view)  # plain JSON values only
    codes = list(view)
    assert codes == [code for code in CF.field_codes if code in view]


def test_organisation_name_is_not_personal() -> None:
    values = {
        "CF_XDR_MC": "厦门某某有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_NR_FK": Decimal("2"),
        "CF_JDRQ": dt.date(2024, 1, 2),
    }
    assert not is_personal(CF.field("CF_XDR_MC"), values)
    assert public_view(CF, values) == {
        "CF_XDR_MC": "厦门某某有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_NR_FK": "2",
        "CF_JDRQ": "2024-01-02",
    }
