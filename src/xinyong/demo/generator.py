"""A realistic synthetic data set for ``make demo`` and for benchmarks.

Everything goes through the real services (organisations, accounts, the record
pipeline with its checks, the subject register, the rule sets and the audit trail),
so the demo shows what the platform does with real reports. Codes are valid
(computed check characters), dates are working days over the last three years,
and the same seed gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.models import Organisation
from xinyong.accounts.service import create_account, create_api_key, create_organisation
from xinyong.actors import Actor
from xinyong.catalog.loader import CatalogItem
from xinyong.catalog.rules import parse_date
from xinyong.codes.rules import org_code_check_char, ric_check_char, uscc_check_char
from xinyong.db import transaction, utcnow
from xinyong.demo.articles import sample_articles
from xinyong.ingest.models import Submission
from xinyong.records.service import report_record
from xinyong.runtime import Runtime
from xinyong.workdays.rules import WorkCalendar
from xinyong.workdays.service import load_calendar

DEMO_PASSWORD = "xinyong-demo-2026"  # printed by `make demo`; demo databases only

# 厦门市 districts (GB/T 2260).
DISTRICTS = {
    "350203": "思明区",
    "350205": "海沧区",
    "350206": "湖里区",
    "350211": "集美区",
    "350212": "同安区",
    "350213": "翔安区",
}
INDUSTRIES = [
    ("文化传媒", "文化、体育和娱乐业", "广告设计、制作、代理；文艺创作"),
    ("科技", "信息传输、软件和信息技术服务业", "软件开发；信息技术咨询服务"),
    ("贸易", "批发和零售业", "日用百货销售；五金产品批发"),
    ("餐饮管理", "住宿和餐饮业", "餐饮服务；食品销售"),
    ("建筑工程", "建筑业", "房屋建筑和市政基础设施项目工程总承包"),
    ("物流", "交通运输、仓储和邮政业", "普通货物仓储服务；道路货物运输"),
    ("食品", "制造业", "食品生产；食品销售"),
    ("医药", "批发和零售业", "药品零售；医疗器械经营"),
    ("环保科技", "水利、环境和公共设施管理业", "环境保护专用设备销售；污水处理"),
    ("物业管理", "房地产业", "物业管理；停车场服务"),
]
WORDS = "信泽广华盛恒达鑫源宏泰嘉瑞丰和顺兴隆昌鼎晟弘毅博雅聚诚立海峡鹭岛嘉禾筼筜"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌"

# Departments of the demo city: (name, organisation-code body, sector). Bodies use
# only characters of the USCC alphabet (no I, O, S, V, Z).
DEPARTMENTS = [
    ("厦门市市场监督管理局", "JG350201", "市场监管"),
    ("厦门市生态环境局", "HB350202", "生态环境"),
    ("国家税务总局厦门市税务局", "DT350203", "税务"),
    ("厦门市住房和城乡建设局", "JJ350204", "住房城乡建设"),
    ("厦门市应急管理局", "YJ350205", "应急管理"),
    ("厦门市民政局", "MT350206", "民政"),
    ("中共厦门市委机构编制委员会办公室", "BB350207", "机构编制"),
]
OFFICE = ("厦门市社会信用体系建设领导小组办公室", "XY350200")

LICENCES = {
    "市场监管": [("食品经营许可证", "核准"), ("特种设备使用登记证", "登记")],
    "生态环境": [("排污许可证", "核准")],
    "住房城乡建设": [("建筑施工企业资质证书", "认可"), ("施工许可证", "普通")],
    "应急管理": [("危险化学品经营许可证", "特许")],
    "税务": [("增值税防伪税控系统最高开票限额审批", "其他")],
}
PENALTIES = {
    "市场监管": ["销售不符合食品安全标准的食品", "虚假宣传", "未按规定进行年度报告"],
    "生态环境": ["超标排放水污染物", "未批先建", "未按规定设置危险废物识别标志"],
    "税务": ["未按期申报纳税", "虚开发票", "未按规定保管账簿"],
    "住房城乡建设": ["未取得施工许可证擅自施工", "违反工程建设强制性标准"],
    "应急管理": ["未按规定开展安全生产教育培训", "安全设备未经检测使用"],
}


def make_org_code(seed: str) -> str:
    body = seed[:8]
    return body + org_code_check_char(body)


def make_uscc(prefix: str, division: str, org_code: str) -> str:
    first17 = prefix + division + org_code
    return first17 + uscc_check_char(first17)


def make_ric(rng: random.Random, division: str) -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
    first17 = f"{division}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + ric_check_char(first17)


def _random_org_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    return body + org_code_check_char(body)


def _working_day(rng: random.Random, cal: WorkCalendar, start: dt.date, end: dt.date) -> dt.date:
    span = (end - start).days
    for _ in range(20):
        day = start + dt.timedelta(days=rng.randrange(0, span))
        if cal.is_workday(day):
            return day
    return start


def by_header(item: CatalogItem, row: Mapping[str, Any]) -> dict[str, Any]:
    """A row keyed by Chinese column names, re-keyed by the catalog's field codes."""
    out: dict[str, Any] = {}
    for header, value in row.items():
        spec = item.resolve_column(header)
        if spec is None:
            raise KeyError(f"demo column {header!r} is not in catalog item {item.code}")
        out[spec.code] = value
    return out


@dataclass
class Dept:
    org: Organisation
    actor: Actor
    sector: str


def _departments(session: Session, actor: Actor) -> tuple[Organisation, list[Dept]]:
    office = create_organisation(
        session,
        actor=actor,
        name=OFFICE[0],
        uscc=make_uscc("11", "350200", make_org_code(OFFICE[1])),
        kind="office",
        sector="信用",
        district="350200",
    )
    depts = []
    for name, seed, sector in DEPARTMENTS:
        org = create_organisation(
            session,
            actor=actor,
            name=name,
            uscc=make_uscc("11", "350200", make_org_code(seed)),
            kind="department",
            sector=sector,
            district="350200",
        )
        dept_actor = Actor(
            kind="apikey",
            name=f"{name}/demo",
            org_id=org.id,
            org_uscc=org.uscc,
            roles=frozenset({"dept_reporter"}),
        )
        depts.append(Dept(org, dept_actor, sector))
    return office, depts


def _accounts(
    session: Session, actor: Actor, rt: Runtime, office: Organisation, depts: list[Dept]
) -> dict[str, Any]:
    create_account(
        session,
        actor=actor,
        username="admin",
        password=DEMO_PASSWORD,
        org_uscc=office.uscc,
        roles=["office_admin"],
        display_name="信用办管理员",
    )
    create_account(
        session,
        actor=actor,
        username="auditor",
        password=DEMO_PASSWORD,
        org_uscc=office.uscc,
        roles=["auditor"],
        display_name="审计员",
    )
    scjg = depts[0].org
    create_account(
        session,
        actor=actor,
        username="scjg",
        password=DEMO_PASSWORD,
        org_uscc=scjg.uscc,
        roles=["dept_reporter", "dept_reviewer"],
        display_name="市场监管局报送员",
    )
    _, key = create_api_key(
        session,
        actor=actor,
        settings=rt.settings,
        org_uscc=scjg.uscc,
        label="演示：市场监管业务系统",
    )
    return {"password": DEMO_PASSWORD, "users": ["admin", "auditor", "scjg"], "api_key_scjg": key}


class _Gen:
    def __init__(
        self, rt: Runtime, rng: random.Random, cal: WorkCalendar, today: dt.date, depts: list[Dept]
    ) -> None:
        self.rt, self.rng, self.cal, self.today = rt, rng, cal, today
        self.depts = {d.sector: d for d in depts}
        self.start = today - dt.timedelta(days=3 * 365)
        self.counts: dict[str, int] = {}
        self.doc_seq = 0
        self.submissions: dict[tuple[str, str], Submission] = {}

    def submission(self, session: Session, dept: Dept, item_code: str) -> Submission:
        """One submission per department and item holds the demo data's provenance."""
        key = (dept.sector, item_code)
        if key not in self.submissions:
            sub = Submission(
                org_id=dept.org.id,
                item_code=item_code,
                channel="cli",
                actor=dept.actor.label,
                filename="演示数据",
                status="done",
                received_on=self.today,
                rows_report={"rows": []},
                accepted=0,
                finished_at=utcnow(),
            )
            session.add(sub)
            session.flush()
            self.submissions[key] = sub
        return self.submissions[key]

    def report(self, session: Session, dept: Dept, item_code: str, row: Mapping[str, Any]) -> None:
        item = self.rt.catalog.item(item_code)
        raw = by_header(item, row)
        received = self.today
        decided = parse_date(raw.get(item.decision_date_field))
        if decided is not None and item_code != "djzc":
            # Most departments report within the 7 working days; some are late.
            lag = self.rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 9, 12])
            received = min(self.today, self.cal.add_working_days(decided, lag).date)
        result = report_record(
            session,
            actor=dept.actor,
            catalog=self.rt.catalog,
            rulebook=self.rt.rulebook,
            vault=self.rt.vault,
            item_code=item_code,
            raw=raw,
            today=received,
            calendar=self.cal,
            submission_id=self.submission(session, dept, item_code).id,
        )
        self.submissions[(dept.sector, item_code)].accepted += result.outcome == "created"
        self.counts[item_code] = self.counts.get(item_code, 0) + 1

    def day(self) -> dt.date:
        return _working_day(self.rng, self.cal, self.start, self.today)

    def doc(self, prefix: str, day: dt.date) -> str:
        self.doc_seq += 1
        return f"厦{prefix}〔{day.year}〕{self.doc_seq:05d}号"

    def firm(self, session: Session, i: int) -> dict[str, Any]:
        rng = self.rng
        district = rng.choice(list(DISTRICTS))
        word, industry, scope = rng.choice(INDUSTRIES)
        roll = rng.random()
        if roll < 0.78:
            prefix, form = "91", rng.choice(["有限公司", "股份有限公司", "有限责任公司"])
        elif roll < 0.92:
            prefix, form = "92", rng.choice(["商行", "餐馆", "便利店", "五金店"])
        elif roll < 0.97:
            prefix, form = "52", "协会"
        else:
            prefix, form = "12", "中心"
        brand = "".join(rng.sample(WORDS, 3))
        name = f"厦门市{DISTRICTS[district]}{brand}{word}{form}"
        if prefix == "91" and rng.random() < 0.5:
            name = f"厦门{brand}{word}{form}"
        uscc = make_uscc(prefix, district, _random_org_code(rng))
        registered = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 9000))
        capital = Decimal(rng.choice([10, 50, 100, 200, 500, 1000, 5000]))
        rep = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
        registrar = {"91": "市场监管", "92": "市场监管", "52": "民政", "12": "机构编制"}[prefix]
        dept = self.depts[registrar]
        self.report(
            session,
            dept,
            "djzc",
            {
                "企业名称": name,
                "统一社会信用代码": uscc,
                "企业类型": {
                    "91": "有限责任公司",
                    "92": "个体工商户",
                    "52": "社会团体",
                    "12": "事业单位",
                }[prefix],
                "法定代表人": rep,
                "注册资本": capital if prefix == "91" else None,
                "注册资本币种": "人民币" if prefix == "91" else None,
                "成立日期": registered,
                "住所": f"厦门市{DISTRICTS[district]}{brand}路{i % 300 + 1}号",
                "经营范围": scope,
                "登记状态": "存续",
                "所属行业": industry,
                "行政区划": district,
                "登记机关": dept.org.name,
                "登记机关统一社会信用代码": dept.org.uscc,
            },
        )
        return {"name": name, "uscc": uscc, "rep": rep, "prefix": prefix}

    def licence(self, session: Session, firm: dict[str, Any]) -> None:
        sector = self.rng.choice(list(LICENCES))
        dept = self.depts[sector]
        title, kind = self.rng.choice(LICENCES[sector])
        day = self.day()
        end = (
            "2099/12/31"
            if self.rng.random() < 0.2
            else (day + dt.timedelta(days=5 * 365)).isoformat()
        )
        self.report(
            session,
            dept,
            "xzxk",
            {
                "行政相对人名称": firm["name"],
                "行政相对人类别": "个体工商户" if firm["prefix"] == "92" else "法人及非法人组织",
                "统一社会信用代码": firm["uscc"],
                "法定代表人": firm["rep"],
                "行政许可决定文书名称": f"准予{title}决定书",
                "行政许可决定文书号": self.doc("许", day),
                "许可类别": kind,
                "许可证书名称": title,
                "许可编号": f"XK{self.doc_seq:08d}",
                "许可内容": f"准予{title}",
                "许可决定日期": day,
                "有效期自": day,
                "有效期至": end,
                "许可机关": dept.org.name,
                "许可机关统一社会信用代码": dept.org.uscc,
                "当前状态": "有效",
                "数据来源单位": dept.org.name,
                "数据来源单位统一社会信用代码": dept.org.uscc,
            },
        )

    def penalty(self, session: Session, party: dict[str, Any]) -> tuple[str, dt.date]:
        rng = self.rng
        sector = rng.choice(list(PENALTIES))
        dept = self.depts[sector]
        day = self.day()
        act = rng.choice(PENALTIES[sector])
        severity = rng.choices(["轻微", "一般", "严重"], [5, 80, 15])[0]
        kinds = ["罚款"] if rng.random() < 0.8 else ["警告"]
        if severity == "严重" and rng.random() < 0.3:
            kinds = ["罚款", "没收违法所得"]
        fine = Decimal(rng.choice(["0.5", "1", "2", "5", "10", "20", "50"]))
        row: dict[str, Any] = {
            "行政相对人名称": party["name"],
            "行政处罚决定书文号": self.doc("罚", day),
            "违法行为类型": act,
            "违法事实": f"经查，当事人存在{act}的违法行为。",
            "处罚依据": "《中华人民共和国行政处罚法》及相关法律法规",
            "处罚类别": "、".join(kinds),
            "处罚内容": "罚款人民币" + str(fine) + "万元" if "罚款" in kinds else "警告",
            "罚款金额": fine if "罚款" in kinds else None,
            "没收违法所得、没收非法财物的金额": Decimal("1.2") if "没收违法所得" in kinds else None,
            "处罚决定日期": day,
            "处罚有效期": day + dt.timedelta(days=365),
            "处罚机关": dept.org.name,
            "处罚机关统一社会信用代码": dept.org.uscc,
            "数据来源单位": dept.org.name,
            "数据来源单位统一社会信用代码": dept.org.uscc,
            "失信严重程度": severity,
        }
        if party.get("id_number"):
            row.update(
                {"行政相对人类别": "自然人", "证件类型": "身份证", "证件号码": party["id_number"]}
            )
        else:
            row.update(
                {
                    "行政相对人类别": "个体工商户"
                    if party["prefix"] == "92"
                    else "法人及非法人组织",
                    "统一社会信用代码": party["uscc"],
                    "法定代表人": party["rep"],
                }
            )
        self.report(session, dept, "xzcf", row)
        return severity, day

    def serious_list(self, session: Session, firm: dict[str, Any], day: dt.date) -> None:
        dept = self.depts["市场监管"]
        self.report(
            session,
            dept,
            "yzsx",
            {
                "主体名称": firm["name"],
                "统一社会信用代码": firm["uscc"],
                "失信主体类别": "个体工商户" if firm["prefix"] == "92" else "法人及非法人组织",
                "名单名称": "严重违法失信名单（市场监督管理）",
                "认定文书号": self.doc("列严", day),
                "列入日期": day,
                "列入事由": "因提供虚假材料取得登记，被依法处以较重行政处罚",
                "认定依据": "《市场监督管理严重违法失信名单管理办法》第九条",
                "认定机关": dept.org.name,
                "认定机关统一社会信用代码": dept.org.uscc,
                "移出条件": "列入满三年，或依法提前移出",
                "有效期至": day + dt.timedelta(days=3 * 365),
            },
        )

    def person(self) -> dict[str, Any]:
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
        return {"name": name, "id_number": make_ric(rng, rng.choice(list(DISTRICTS)))}


def generate(rt: Runtime, *, subjects: int, seed: int, actor: Actor) -> dict[str, Any]:
    """Generate the demo data set; does nothing when the demo organisations exist."""
    rng = random.Random(seed)
    office_uscc = make_uscc("11", "350200", make_org_code(OFFICE[1]))
    with transaction(rt.sessions) as session:
        exists = session.execute(
            select(Organisation.id).where(Organisation.uscc == office_uscc)
        ).first()
        cal = load_calendar(session)
    if exists:
        return {
            "demo": "already present",
            "password": DEMO_PASSWORD,
            "users": ["admin", "auditor", "scjg"],
        }
    gen = _Gen(rt, rng, cal, dt.date.today(), [])
    # One transaction: a failed run leaves nothing behind and can simply be rerun.
    with transaction(rt.sessions) as session, Progress(transient=True) as progress:
        office, depts = _departments(session, actor)
        accounts = _accounts(session, actor, rt, office, depts)
        sample_articles(session, actor, gen.today)
        gen.depts = {d.sector: d for d in depts}
        task = progress.add_task("生成演示数据", total=subjects)
        for i in range(subjects):
            if rng.random() < 0.1:
                gen.penalty(session, gen.person())
            else:
                firm = gen.firm(session, i)
                for _ in range(rng.choice([0, 1, 1, 2])):
                    gen.licence(session, firm)
                if rng.random() < 0.18:
                    severity, day = gen.penalty(session, firm)
                    if severity == "严重" and rng.random() < 0.4:
                        gen.serious_list(session, firm, day)
            if i % 50 == 0:
                progress.update(task, completed=i + 1)
    return {"demo": "generated", "subjects": subjects, "records": gen.counts, **accounts}


def demo_department() -> Actor:
    """The market regulator of the demo data, acting as its own department."""
    _name, body, _ = DEPARTMENTS[0]
    uscc = make_uscc("11", "350200", make_org_code(body))
    return Actor(kind="account", name="scjg", org_uscc=uscc, roles=frozenset({"dept_reviewer"}))


def sample_submission(rt: Runtime, *, actor: Actor, today: dt.date) -> dict[str, Any]:
    """A small penalty file from the market regulator sent through the collection
    pipeline, two of whose rows are wrong, so the report and quarantine pages have
    something to show."""
    from xinyong.ingest.readers import table_from_records
    from xinyong.ingest.service import Collector

    name, body, _ = DEPARTMENTS[0]
    dept_uscc = make_uscc("11", "350200", make_org_code(body))
    rows: list[dict[str, Any]] = []
    for i in range(1, 11):
        party = make_uscc("91", "350206", make_org_code(f"MD{i:06d}"))
        decided = today - dt.timedelta(days=2 + i)
        rows.append(
            {
                "行政相对人名称": f"厦门演示{i}号商贸有限公司",
                "行政相对人类别": "法人及非法人组织",
                "统一社会信用代码": party,
                "法定代表人": "陈明",
                "处罚决定书文号": f"厦市监罚〔{decided.year}〕演示{i}号",
                "违法行为类型": "未按规定进行年度报告",
                "违法事实": "当事人未按规定报送年度报告。",
                "处罚依据": "《市场主体登记管理条例》第四十五条",
                "处罚类别": "罚款",
                "处罚内容": "罚款人民币0.5万元",
                "罚款金额（万元）": "0.5",
                "处罚决定日期": decided.isoformat(),
                "处罚有效期": (decided + dt.timedelta(days=365)).isoformat(),
                "处罚机关": name,
                "处罚机关统一社会信用代码": dept_uscc,
                "数据来源单位": name,
                "数据来源单位统一社会信用代码": dept_uscc,
            }
        )
    rows[3]["统一社会信用代码"] = rows[3]["统一社会信用代码"][:-1] + (
        "0" if rows[3]["统一社会信用代码"][-1] != "0" else "1"
    )  # a wrong check character
    rows[7]["罚款金额（万元）"] = ""  # 罚款 without the amount
    collector = Collector(rt.sessions, actor, rt.catalog, rt.rulebook, rt.vault)
    report = collector.collect(
        table_from_records(rows),
        item_code="xzcf",
        department=dept_uscc,
        channel="api",
        reason="演示数据",
        today=today,
    )
    return {k: report.as_dict()[k] for k in ("accepted", "rejected")}
