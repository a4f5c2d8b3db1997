"""Staff sign-in, tokens, role checks and the audit API over HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from xinyong.actors import Actor
from xinyong.runtime import Runtime


def _office_with_admin(runtime: Runtime) -> str:
    from xinyong.accounts.service import create_account, create_organisation
    from xinyong.demo.generator import make_org_code, make_uscc

    uscc = make_uscc("11", "350200", make_org_code("XY350200"))
    with runtime.sessions() as session:
        create_organisation(session, actor=Actor.system(), name="信用办", uscc=uscc, kind="office")
        create_account(
            session,
            actor=Actor.system(),
            username="admin",
            password="correct-horse-battery",
            org_uscc=uscc,
            roles=["office_admin"],
            display_name="管理员",
        )
        create_account(
            session,
            actor=Actor.system(),
            username="clerk",
            password="correct-horse-battery",
            org_uscc=uscc,
            roles=["office_staff"],
            display_name="工作人员",
        )
        session.commit()
    return uscc


def test_staff_login_shows_dashboard_with_missing_calendar_year(
    client: TestClient, runtime: Runtime
) -> None:
    _office_with_admin(runtime)
    assert client.get("/staff", follow_redirects=False).status_code == 303
    bad = client.post("/staff/login", data={"username": "admin", "password": "wrong-password"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    r = client.post("/staff/login", data={"username": "admin", "password": "correct-horse-battery"})
    assert r.status_code == 200 and "工作台" in r.text
    assert "审计链" in r.text
    verify = client.get("/staff/audit/verify")
    assert verify.status_code == 200 and "审计链完整" in verify.text


def test_token_login_and_audit_api_needs_a_role(client: TestClient, runtime: Runtime) -> None:
    _office_with_admin(runtime)
    assert client.get("/api/v1/me").status_code == 401
    token = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": "correct-horse-battery"}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = client.get("/api/v1/me", headers=headers).json()
    assert me["roles"] == ["office_admin"]
    verify = client.get("/api/v1/audit/verify", headers=headers).json()
    assert verify["intact"] is True and verify["events"] > 0

    clerk = client.post(
        "/api/v1/auth/token", data={"username": "clerk", "password": "correct-horse-battery"}
    ).json()
    denied = client.get(
        "/api/v1/audit/verify", headers={"Authorization": f"Bearer {clerk['access_token']}"}
    )
    assert denied.status_code == 403
    assert "角色" in denied.json()["error"]["message"]


def test_garbage_token_is_refused_not_a_500(client: TestClient) -> None:
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_audit_verify_page_refuses_staff_without_the_role(
    client: TestClient, runtime: Runtime
) -> None:
    _office_with_admin(runtime)
    assert client.get("/staff/audit/verify", follow_redirects=False).status_code == 303
    client.post("/staff/login", data={"username": "clerk", "password": "correct-horse-battery"})
    r = client.get("/staff/audit/verify")
    assert r.status_code == 403 and "角色" in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/staff",
        "/staff/audit/verify",
        "/staff/collection",
        "/staff/collection/submissions",
        "/staff/collection/quarantine",
        "/staff/records",
        "/staff/quality",
        "/staff/articles",
        "/staff/articles/new",
    ],
)
def test_every_staff_page_sends_an_anonymous_visitor_to_the_login_page(
    client: TestClient, path: str
) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login"
