"""Personal values are stored only sealed; staff can open them again."""

import datetime as dt
from typing import Any

import orjson

from xinyong.catalog.loader import load_catalog
from xinyong.catalog.rules import open_personal, seal_personal, validate_values
from xinyong.config import Settings
from xinyong.privacy.crypto import DataVault

CF = load_catalog().item("xzcf")


def person_values() -> dict[str, Any]:
    raw = {
        "CF_XDR_MC": "张三",
        "CF_XDR_LB": "自然人",
        "CF_XDR_ZJLX": "身份证",
        "CF_XDR_ZJHM": "44011320141005001x",
        "CF_WSH": "厦市监罚〔2024〕14号",
        "CF_WFXW": "无照经营",
        "CF_SY": "经查……",
        "CF_YJ": "依据",
        "CF_CFLB": "罚款、没收违法所得",
        "CF_NR": "罚款",
        "CF_NR_FK": "0.5",
        "CF_NR_WFFF": "0.12",
        "CF_JDRQ": "2024-03-05",
        "CF_YXQ": "2025-03-05",
        "CF_CFJG": "厦门市市场监督管理局",
        "CF_CFJGDM": "121200004013590816",
        "CF_SJLY": "厦门市市场监督管理局",
        "CF_SJLYDM": "121200004013590816",
    }
    checked = validate_values(CF, raw, today=dt.date(2024, 6, 1))
    assert checked.ok, checked.problems
    return checked.values


def test_personal_values_are_never_in_clear(pure_settings: Settings) -> None:
    vault = DataVault.from_settings(pure_settings)
    values = person_values()
    sealed = seal_personal(CF, values, vault)
    assert set(sealed.sealed) == {"CF_XDR_MC", "CF_XDR_ZJHM"}
    stored = orjson.dumps({"clear": sealed.clear, "sealed": sealed.sealed}).decode()
    assert "44011320141005001X" not in stored and "张三" not in stored
    assert sealed.clear["CF_JDRQ"] == "2024-03-05"
    assert sealed.clear["CF_CFLB"] == ["罚款", "没收违法所得"]
    assert sealed.masked == {"CF_XDR_MC": "张三", "CF_XDR_ZJHM": "440113********001X"}
    assert sealed.hashes == {"CF_XDR_ZJHM": vault.lookup_hash("CF_XDR_ZJHM", "44011320141005001X")}


def test_seal_and_open_round_trip(pure_settings: Settings) -> None:
    vault = DataVault.from_settings(pure_settings)
    values = person_values()
    sealed = seal_personal(CF, values, vault)
    opened = open_personal(CF, sealed.sealed, vault, clear=sealed.clear)
    assert opened == values
    assert list(opened) == list(values)


def test_organisations_keep_their_name_in_clear(pure_settings: Settings) -> None:
    vault = DataVault.from_settings(pure_settings)
    values = {**person_values(), "CF_XDR_LB": "法人及非法人组织", "CF_XDR_MC": "厦门某某有限公司"}
    del values["CF_XDR_ZJHM"], values["CF_XDR_ZJLX"]
    values["CF_FR_ZJHM"] = "360426199101010071"
    sealed = seal_personal(CF, values, vault)
    assert sealed.clear["CF_XDR_MC"] == "厦门某某有限公司"
    assert set(sealed.sealed) == {"CF_FR_ZJHM"}
    assert "CF_FR_ZJHM" not in sealed.masked  # hidden: no public form at all
    assert set(sealed.hashes) == {"CF_FR_ZJHM"}
    assert open_personal(CF, sealed.sealed, vault)["CF_FR_ZJHM"] == "360426199101010071"
