"""Username and password policy of staff accounts (pure)."""

from __future__ import annotations

from xinyong.accounts.rules import (
    check_display_name,
    check_password,
    check_username,
    normalise_username,
)


def test_password_of_ten_mixed_characters_passes() -> None:
    assert check_password("Xinyong-2026", username="zhangsan") == []


def test_short_password_is_refused_naming_the_field() -> None:
    problems = check_password("abc123", username="zhangsan")
    assert [p.field for p in problems] == ["password"]
    assert "至少 10 个字符" in problems[0].reason


def test_all_digit_password_is_refused() -> None:
    problems = check_password("1234567890123", username="zhangsan")
    assert [p.reason for p in problems] == ["密码不能全部为数字"]


def test_password_equal_to_username_is_refused_ignoring_case() -> None:
    problems = check_password("Zhangsan.li", username="zhangsan.li")
    assert [p.reason for p in problems] == ["密码不能与用户名相同"]
    assert all(p.field == "password" for p in problems)


def test_overlong_password_is_refused() -> None:
    problems = check_password("a1" * 65, username="zhangsan")
    assert [p.field for p in problems] == ["password"]
    assert "不能超过 128" in problems[0].reason


def test_several_password_problems_are_all_reported() -> None:
    problems = check_password("12345", username="zhangsan")
    assert {p.reason for p in problems} == {"密码至少 10 个字符", "密码不能全部为数字"}


def test_usernames_follow_the_pattern() -> None:
    assert check_username("zhang.san_01") == []
    assert check_username("li-4") == []
    for bad in ("ab", "1zhang", "张三", "zhang san", "a" * 33, ""):
        problems = check_username(bad)
        assert [p.field for p in problems] == ["username"], bad
        assert "用户名" in problems[0].reason


def test_usernames_are_normalised_to_lower_case() -> None:
    assert normalise_username("  ZhangSan ") == "zhangsan"


def test_display_name_is_required_and_bounded() -> None:
    assert check_display_name("张三") == []
    assert [p.reason for p in check_display_name("  ")] == ["姓名不能为空"]
    assert [p.field for p in check_display_name("张" * 101)] == ["display_name"]
