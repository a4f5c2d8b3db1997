"""Shared set-up for collection tests: a department with an API key and an account,
and penalty rows in the national (CF_*) layout and with Chinese headers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from xinyong.accounts.service import (
    create_account,
    create_api_key,
    create_organisation,
)
from xinyong.actors import Actor
from xinyong.db import china_today
from xinyong.demo.generator import make_org_code, make_uscc
from xinyong.runtime import Runtime

PASSWORD = "Collect-2026-pass"


def uscc(body: str, prefix: str = "91", division: str = "350203") -> str:
    return make_uscc(prefix, division, make_org_code(body))


@dataclass
class Department:
    uscc: str
    name: str
    api_key: str
    username: str
    actor: Actor

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}


def make_department(
    rt: Runtime, body: str = "JG350201", name: str = "厦门市市场监督管理局", user: str = "scjg"
) -> Department:
    code = uscc(body, "11", "350200")
    with rt.sessions() as session:
        org = create_organisation(
            session,
            actor=Actor.system(),
            name=name,
            uscc=code,
            kind="department",
            sector="市场监管",
        )
        _, key = create_api_key(
            session, actor=Actor.system(), settings=rt.settings, org_uscc=code, label="业务系统"
        )
        create_account(
            session,
            actor=Actor.system(),
            username=user,
            password=PASSWORD,
            org_uscc=code,
            roles="dept_reporter",
            display_name="报送员",
        )
        session.commit()
        actor = Actor(
            kind="account",
            name=user,
            org_id=org.id,
            org_uscc=code,
            roles=frozenset({"dept_reporter"}),
        )
    return Department(code, name, key, user, actor)


def login(client: TestClient, username: str) -> None:
    response = client.post(
        "/staff/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def recent_working_day(days_back: int = 3) -> dt.date:
    return china_today() - dt.timedelta(days=days_back)


def penalty(dept: Department, n: int = 1, **extra: Any) -> dict[str, Any]:
    """A valid xzcf row in the national field-code layout."""
    decided = extra.pop("decided", dt.date(2026, 3, 5))
    row = {
        "CF_XDR_MC": f"厦门鹭岛信泽{n:04d}文化传媒有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": uscc(f"MA2P{n:04d}"),
        "CF_FRDB": "王伟",
        "CF_WSH": f"厦市监罚〔2026〕{n}号",
        "CF_WFXW": "虚假宣传",
        "CF_SY": "经查，当事人发布虚假广告。",
        "CF_YJ": "《中华人民共和国广告法》第五十五条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币5万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": decided.isoformat(),
        "CF_YXQ": (decided + dt.timedelta(days=365)).isoformat(),
        "CF_CFJG": dept.name,
        "CF_CFJGDM": dept.uscc,
        "CF_SJLY": dept.name,
        "CF_SJLYDM": dept.uscc,
    }
    row.update(extra)
    return row


CHINESE_HEADERS = {
    "CF_XDR_MC": "行政相对人名称",
    "CF_XDR_LB": "行政相对人类别",
    "CF_XDR_SHXYM": "统一社会信用代码",
    "CF_FRDB": "法定代表人",
    "CF_WSH": "处罚决定书文号",
    "CF_WFXW": "违法行为类型",
    "CF_SY": "违法事实",
    "CF_YJ": "处罚依据",
    "CF_CFLB": "处罚类别",
    "CF_NR": "处罚内容",
    "CF_NR_FK": "罚款金额（万元）",
    "CF_JDRQ": "处罚决定日期",
    "CF_YXQ": "处罚有效期",
    "CF_CFJG": "处罚机关",
    "CF_CFJGDM": "处罚机关统一社会信用代码",
    "CF_SJLY": "数据来源单位",
    "CF_SJLYDM": "数据来源单位统一社会信用代码",
}


def chinese(row: dict[str, Any]) -> dict[str, Any]:
    return {CHINESE_HEADERS[k]: v for k, v in row.items()}


def csv_text(rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def office_headers(client: TestClient, rt: Runtime, username: str = "xyb") -> dict[str, str]:
    """A credit office (信用办) with an office_admin account, signed in over the API:
    the Authorization header of its session token."""
    code = uscc("XY350200", "11", "350200")
    with rt.sessions() as session:
        create_organisation(session, actor=Actor.system(), name="信用办", uscc=code, kind="office")
        create_account(
            session,
            actor=Actor.system(),
            username=username,
            password=PASSWORD,
            org_uscc=code,
            roles="office_admin",
            display_name="信用办管理员",
        )
        session.commit()
    token = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def make_reviewer(rt: Runtime, dept: Department, username: str = "scjg-review") -> str:
    """A reviewer (dept_reviewer: may list subjects, decide cases) of ``dept``."""
    with rt.sessions() as session:
        create_account(
            session,
            actor=Actor.system(),
            username=username,
            password=PASSWORD,
            org_uscc=dept.uscc,
            roles=["dept_reviewer"],
            display_name="审核员",
        )
        session.commit()
    return username
