"""The shipped national catalog loads and carries RULES.md §3 exactly."""

import datetime as dt

import pytest

from xinyong.catalog.loader import Catalog, catalog_from_content, load_catalog
from xinyong.catalog.schema import Condition
from xinyong.errors import NotFound

# RULES.md §3, 行政处罚: every code with its Chinese name. CF_FR_ZJLX / CF_FR_ZJHM are
# listed there under 法定代表人 ("Persons: CF_FRDB 法定代表人; CF_FR_ZJLX 证件类型; …"),
# so their names carry the 法定代表人 prefix; the natural person's own are plain.
CF_NAMES = {
    "CF_XDR_MC": "行政相对人名称",
    "CF_XDR_LB": "行政相对人类别",
    "CF_XDR_SHXYM": "统一社会信用代码",
    "CF_XDR_GSZC": "工商注册号",
    "CF_XDR_ZZJG": "组织机构代码",
    "CF_XDR_SWDJ": "税务登记号",
    "CF_XDR_SYDW": "事业单位证书号",
    "CF_XDR_SHZZ": "社会组织登记证号",
    "CF_FRDB": "法定代表人",
    "CF_FR_ZJLX": "法定代表人证件类型",
    "CF_FR_ZJHM": "法定代表人证件号码",
    "CF_XDR_ZJLX": "证件类型",
    "CF_XDR_ZJHM": "证件号码",
    "CF_WSH": "行政处罚决定书文号",
    "CF_WFXW": "违法行为类型",
    "CF_SY": "违法事实",
    "CF_YJ": "处罚依据",
    "CF_CFLB": "处罚类别",
    "CF_NR": "处罚内容",
    "CF_NR_FK": "罚款金额",
    "CF_NR_WFFF": "没收违法所得、没收非法财物的金额",
    "CF_NR_ZKDX": "暂扣或吊销证照名称及编号",
    "CF_JDRQ": "处罚决定日期",
    "CF_YXQ": "处罚有效期",
    "CF_GSJZQ": "公示截止期",
    "CF_CFJG": "处罚机关",
    "CF_CFJGDM": "处罚机关统一社会信用代码",
    "CF_SJLY": "数据来源单位",
    "CF_SJLYDM": "数据来源单位统一社会信用代码",
    "BZ": "备注",
}

# RULES.md §3, 行政许可 (names from the same national layout where §3 gives none).
XK_NAMES = {
    "XK_XDR_MC": "行政相对人名称",
    "XK_XDR_LB": "行政相对人类别",
    "XK_XDR_SHXYM": "统一社会信用代码",
    "XK_XDR_GSZC": "工商注册号",
    "XK_XDR_ZZJG": "组织机构代码",
    "XK_XDR_SWDJ": "税务登记号",
    "XK_XDR_SYDW": "事业单位证书号",
    "XK_XDR_SHZZ": "社会组织登记证号",
    "XK_FRDB": "法定代表人",
    "XK_FR_ZJLX": "法定代表人证件类型",
    "XK_XDR_ZJLX": "证件类型",
    "XK_XDR_ZJHM": "证件号码",
    "XK_XKWS": "行政许可决定文书名称",
    "XK_WSH": "文书号",  # §3's own word; the field is 行政许可决定文书号
    "XK_XKLB": "许可类别",
    "XK_XKZS": "许可证书名称",
    "XK_XKBH": "许可编号",
    "XK_NR": "许可内容",
    "XK_JDRQ": "许可决定日期",
    "XK_YXQZ": "有效期自",
    "XK_YXQZI": "有效期至",
    "XK_XKJG": "许可机关",
    "XK_XKJGDM": "许可机关统一社会信用代码",
    "XK_ZT": "当前状态",
    "XK_LYDW": "数据来源单位",
    "XK_LYDWDM": "数据来源单位统一社会信用代码",
    "BZ": "备注",
}

# RULES.md §3: the Django implementation's mandatory list, as codes.
CF_MANDATORY = {
    "CF_XDR_MC",
    "CF_XDR_LB",
    "CF_WSH",
    "CF_WFXW",
    "CF_SY",
    "CF_YJ",
    "CF_CFLB",
    "CF_NR",
    "CF_JDRQ",
    "CF_YXQ",
    "CF_CFJG",
    "CF_CFJGDM",
    "CF_SJLY",
    "CF_SJLYDM",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_shipped_catalog_loads_with_its_items(catalog: Catalog) -> None:
    assert catalog.version == "2024.1"
    assert catalog.title == "全国公共信用信息基础目录(2024年版)"
    assert catalog.issued == dt.date(2024, 2, 18)
    assert list(catalog.items) == ["djzc", "xzxk", "xzcf", "xzqz", "xzqr", "xzjl", "xzjc", "yzsx"]
    assert len(catalog.sha256) == 64
    assert catalog.item("yzsx").negative and catalog.item("xzcf").negative
    assert not catalog.item("xzjl").negative
    assert catalog.item("djzc").rule_family == "none"
    assert catalog.item("xzcf").rule_family == "penalty"


@pytest.mark.parametrize(("item_code", "names"), [("xzcf", CF_NAMES), ("xzxk", XK_NAMES)])
def test_every_rules_code_is_present_with_its_chinese_name(
    catalog: Catalog, item_code: str, names: dict[str, str]
) -> None:
    item = catalog.item(item_code)
    for code, name in names.items():
        spec = item.field(code)
        assert name == spec.name or name in spec.aliases, (code, spec.name)
    assert item.national_codes


def test_penalty_codes_are_exactly_rules_plus_the_local_severity(catalog: Catalog) -> None:
    item = catalog.item("xzcf")
    assert set(item.field_codes) == set(CF_NAMES) | {"CF_SXYZCD"}
    assert [f.code for f in item.fields if f.local] == ["CF_SXYZCD"]


def test_penalty_mandatory_set_follows_rules(catalog: Catalog) -> None:
    item = catalog.item("xzcf")
    assert {f.code for f in item.fields if f.required} == CF_MANDATORY
    assert item.key_fields == ("CF_CFJGDM", "CF_WSH")
    assert item.decision_date_field == "CF_JDRQ"
    assert item.authority_code_field == "CF_CFJGDM"
    assert item.penalty_types_field == "CF_CFLB"


def test_enumerations_follow_rules(catalog: Catalog) -> None:
    xk = catalog.item("xzxk")
    cf = catalog.item("xzcf")
    assert xk.field("XK_XKLB").enum_values == ("普通", "特许", "认可", "核准", "登记", "其他")
    for item, code in ((xk, "XK_XDR_LB"), (cf, "CF_XDR_LB")):
        assert item.field(code).enum_values == ("法人及非法人组织", "自然人", "个体工商户")
    status = xk.field("XK_ZT")
    assert status.enum_values == ("1", "2")
    assert status.enum_lookup()["有效"] == "1"
    kinds = cf.field("CF_CFLB")
    assert kinds.multi
    assert kinds.enum_values == (
        "警告",
        "通报批评",
        "罚款",
        "没收违法所得",
        "没收非法财物",
        "暂扣许可证件",
        "降低资质等级",
        "吊销许可证件",
        "限制开展生产经营活动",
        "责令停产停业",
        "责令关闭",
        "限制从业",
        "行政拘留",
        "其他",
    )


def test_amounts_are_conditional_and_in_wan_yuan(catalog: Catalog) -> None:
    cf = catalog.item("xzcf")
    fine = cf.field("CF_NR_FK")
    assert (fine.type, fine.unit) == ("decimal", "万元")
    assert fine.required_when == Condition(field="CF_CFLB", contains="罚款")
    assert cf.field("CF_NR_WFFF").required_when == Condition(field="CF_CFLB", contains="没收")
    zkdx = cf.field("CF_NR_ZKDX").required_when
    assert zkdx is not None and zkdx.any_of is not None
    assert {c.contains for c in zkdx.any_of} == {"暂扣", "吊销"}
    group = cf.required_any_of[0]
    assert group.when == Condition(field="CF_XDR_LB", equals="法人及非法人组织")
    assert set(group.fields) == {
        "CF_XDR_SHXYM",
        "CF_XDR_GSZC",
        "CF_XDR_ZZJG",
        "CF_XDR_SWDJ",
        "CF_XDR_SYDW",
        "CF_XDR_SHZZ",
    }


def test_personal_fields_and_their_masks(catalog: Catalog) -> None:
    cf = catalog.item("xzcf")
    person_id = cf.field("CF_XDR_ZJHM")
    assert person_id.personal is True and person_id.public
    assert person_id.mask_rule().apply("360426199101010071") == "360426********0071"
    rep_id = cf.field("CF_FR_ZJHM")
    assert rep_id.personal is True and not rep_id.public
    assert rep_id.mask_rule().apply("360426199101010071") is None
    name = cf.field("CF_XDR_MC")
    assert name.personal == Condition(field="CF_XDR_LB", equals="自然人")
    assert name.mask is not None and name.mask.mode == "none"


def test_local_severity_field_defaults_to_general(catalog: Catalog) -> None:
    cf = catalog.item("xzcf")
    severity = cf.field("CF_SXYZCD")
    assert severity.enum_values == ("轻微", "一般", "严重")
    assert severity.default == "一般" and severity.local
    assert cf.severity_field == "CF_SXYZCD" and cf.default_severity == "一般"


def test_registration_item_has_capital_and_status(catalog: Catalog) -> None:
    djzc = catalog.item("djzc")
    assert djzc.disclosure == "public" and not djzc.national_codes
    capital = djzc.field(djzc.subject_fields["registered_capital"])
    assert (capital.type, capital.unit) == ("decimal", "万元")
    currency = djzc.field(djzc.subject_fields["capital_currency"])
    assert currency.enum_values == ("人民币", "美元", "港元", "欧元", "日元", "其他")
    status = djzc.field(djzc.subject_fields["status"])
    assert status.enum_values == ("存续", "在业", "吊销", "注销", "迁出", "停业", "其他")


def test_serious_list_item_carries_basis_and_removal_conditions(catalog: Catalog) -> None:
    yzsx = catalog.item("yzsx")
    assert yzsx.category == "严重失信主体名单信息"
    assert yzsx.field("SX_RDYJ").required and yzsx.field("SX_YCTJ").required
    assert yzsx.decision_date_field == "SX_LRRQ"


def test_unknown_item_is_not_found_in_chinese(catalog: Catalog) -> None:
    with pytest.raises(NotFound) as caught:
        catalog.item("xyz")
    assert "xyz" in caught.value.message and "目录" in caught.value.message
    with pytest.raises(NotFound, match="CF_NOPE"):
        catalog.item("xzcf").field("CF_NOPE")


def test_resolve_column_by_code_name_or_alias(catalog: Catalog) -> None:
    cf = catalog.item("xzcf")
    assert cf.field("cf_xdr_mc").code == "CF_XDR_MC"
    cases = {
        "cf_xdr_mc": "CF_XDR_MC",
        " 行政相对人名称 ": "CF_XDR_MC",
        "当事人名称": "CF_XDR_MC",
        "处罚决定书文号": "CF_WSH",
        "罚款金额（万元）": "CF_NR_FK",
        "罚款金额(万元)": "CF_NR_FK",
        "*处罚决定日期": "CF_JDRQ",
        "处罚 决定日期（必填）": "CF_JDRQ",
        "ＣＦ＿ＪＤＲＱ": "CF_JDRQ",
    }
    for header, code in cases.items():
        spec = cf.resolve_column(header)
        assert spec is not None and spec.code == code, header
    assert cf.resolve_column("不存在的列") is None


def test_content_round_trips_to_the_same_hash(catalog: Catalog) -> None:
    again = catalog_from_content(catalog.content())
    assert again.sha256 == catalog.sha256
    assert again.item("xzcf") == catalog.item("xzcf")
    assert load_catalog().sha256 == catalog.sha256
