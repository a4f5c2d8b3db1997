"""The register of legacy codes that fail their check character (RULES.md §10)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from xinyong.actors import Actor
from xinyong.audit.service import events_for
from xinyong.codes.models import CodeException
from xinyong.codes.service import (
    check_code_with_exceptions,
    list_exceptions,
    register_exception,
)
from xinyong.errors import Conflict, Forbidden, ValidationFailed

ADMIN = Actor(kind="account", name="admin", roles=frozenset({"office_admin"}))
REPORTER = Actor(kind="account", name="reporter", roles=frozenset({"dept_reporter"}))
PILOT = "91350211M0000XUF46"  # 厦门云上晴空航空科技有限公司; computed R, issued 6
PILOT_NAME = "厦门云上晴空航空科技有限公司"


def _register(session: Session, code: str = PILOT, **kwargs: object) -> CodeException:
    args: dict[str, object] = {
        "actor": ADMIN,
        "code": code,
        "name": PILOT_NAME,
        "reason": "厦门试点期间赋码，早于 GB 32100 发布，营业执照所载代码如此",
    }
    args.update(kwargs)
    return register_exception(session, **args)  # type: ignore[arg-type]


def test_registered_pilot_code_passes_with_a_warning(session: Session) -> None:
    before = check_code_with_exceptions(session, PILOT)
    assert not before.valid
    assert [p.reason for p in before.errors] == ["校验位应为 R，实为 6"]

    exception = register_exception(
        session,
        actor=ADMIN,
        code=" 91350211m0000xuf46 ",
        name=f"  {PILOT_NAME} ",
        reason="厦门试点期间赋码",
    )
    assert exception.code == PILOT
    assert exception.kind == "uscc"
    assert exception.name == PILOT_NAME
    assert exception.registered_by == "account:admin"

    after = check_code_with_exceptions(session, PILOT)
    assert after.valid
    assert after.errors == []
    (warning,) = after.warnings
    assert warning.level == "warning"
    assert warning.reason.startswith("登记在册的历史代码（校验位不符）")
    assert "校验位应为 R，实为 6" in warning.reason
    assert PILOT_NAME in warning.reason
    assert after.details["exception"]["name"] == PILOT_NAME
    assert set(after.details["exception"]) == {"name", "registered_at"}
    assert after.details["error_codes"] == []
    assert "registered_exception" in after.details["warning_codes"]
    assert after.as_dict()["valid"] is True


def test_registration_is_audited(session: Session) -> None:
    exception = _register(session)
    events = events_for(session, "code_exception", exception.id)
    assert [e.action for e in events] == ["code_exception.register"]
    assert events[0].actor == "account:admin"
    assert events[0].after is not None
    assert events[0].after["code"] == PILOT
    assert events[0].after["errors"] == ["校验位应为 R，实为 6"]


def test_other_failing_codes_stay_errors(session: Session) -> None:
    _register(session)
    other = check_code_with_exceptions(session, "91350100M0001TGQXM")
    assert not other.valid
    assert [p.reason for p in other.errors] == ["校验位应为 1，实为 M"]
    valid = check_code_with_exceptions(session, "91110000600037341L")
    assert valid.valid
    assert valid.warnings == []


def test_duplicate_registration_is_a_conflict(session: Session) -> None:
    _register(session)
    with pytest.raises(Conflict) as info:
        _register(session, code="９１３５０２１１Ｍ００００ＸＵＦ４６")
    assert "已登记" in info.value.message


def test_only_office_admins_may_register(session: Session) -> None:
    with pytest.raises(Forbidden):
        _register(session, actor=REPORTER)
    assert list_exceptions(session) == []


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110000600037341L", "无需登记"),  # passes its checks
        ("9111000060003IOZSV", "仅校验位不符"),  # malformed
        ("12345", "仅校验位不符"),
        ("36042619910102009X", "身份证号码"),  # personal data never goes in this register
    ],
)
def test_only_check_digit_failures_may_be_registered(
    session: Session, code: str, fragment: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        _register(session, code=code)
    assert info.value.field == "code"
    assert fragment in info.value.message
    assert list_exceptions(session) == []


def test_embedded_org_code_check_failure_may_be_registered(session: Session) -> None:
    # The organisation code inside (60003734-2) has the wrong check character; the code
    # is otherwise well-formed, so the register accepts it like a wrong USCC check.
    code = "91110000600037342P"
    assert not check_code_with_exceptions(session, code).valid
    _register(session, code=code, name="某历史企业", reason="组织机构代码赋码错误，沿用至今")
    result = check_code_with_exceptions(session, code)
    assert result.valid
    assert "60003734-2 的校验位应为 1，实为 2" in result.warnings[0].reason


def test_name_and_reason_are_required(session: Session) -> None:
    with pytest.raises(ValidationFailed) as info:
        _register(session, name=" ", reason="")
    fields = {p.field for p in info.value.problems}
    assert fields == {"name", "reason"}


def test_list_exceptions(session: Session) -> None:
    _register(session)
    _register(session, code="91350100M0001TGQXM", name="福州试点企业", reason="试点赋码")
    codes = [e.code for e in list_exceptions(session)]
    assert codes == ["91350100M0001TGQXM", PILOT]
