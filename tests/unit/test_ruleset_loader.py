"""Loading and validating rule-set files (RULES.md "Rule sets by date": rule sets as data)."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from xinyong.errors import ConfigurationError
from xinyong.rulesets.loader import BUILTIN, load_rulesets
from xinyong.rulesets.rules import compute_periods

D = dt.date.fromisoformat

LOCAL = {
    "id": "xm-2024-local",
    "name": "厦信用办〔2024〕1号",
    "title": "厦门市行政处罚信息信用修复实施细则",
    "family": "penalty",
    "valid_from": "2024-01-01",
    "valid_to": None,
    "precedence": 15,
    "sectors": ["交通运输"],
    "classes": {
        "轻微": {"published": False, "repairable": False},
        "一般": {
            "published": True,
            "repairable": True,
            "min_months": 1,
            "max_months": 6,
            "requirements": ["commitment"],
        },
        "严重": {
            "published": True,
            "repairable": True,
            "min_months": 6,
            "max_months": 24,
            "requirements": ["commitment"],
        },
    },
    "sources": [{"ref": "local notice"}],
}


def _write(tmp_path: Path, data: object, name: str = "extra.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _shipped(rule_set_id: str) -> dict[str, object]:
    raw = yaml.safe_load(BUILTIN.read_text(encoding="utf-8"))
    found: dict[str, object] = next(r for r in raw["rulesets"] if r["id"] == rule_set_id)
    return found


def test_shipped_rule_sets_load() -> None:
    book = load_rulesets()
    assert {rs.id for rs in book.rule_sets} == {
        "ndrc-2017-1171",
        "ndrc-2019-527",
        "ndrc-order-58",
        "gov-2025-22",
        "samr-order-45",
        "samr-order-107",
        "ndrc-order-36",
    }
    assert book.get("gov-2025-22").deadlines.office_answer_working_days == 10
    assert book.get("gov-2025-22").deadlines.department_decision_working_days == 3
    assert all(rs.sources for rs in book.rule_sets)
    assert book.origins["ndrc-order-36"] == str(BUILTIN)
    assert len(book.sha256) == 64


def test_extra_file_overrides_a_rule_set_by_id(tmp_path: Path) -> None:
    # Order 58's periods are unconfirmed (RULES.md §1c): a city corrects them once verified.
    corrected = _shipped("ndrc-order-58")
    corrected["classes"]["严重"]["min_months"] = 6  # type: ignore[index]
    corrected["notes"] = []
    extra = _write(tmp_path, {"rulesets": [corrected]})
    book = load_rulesets([extra])
    answer = compute_periods(book, severity="严重", decided=D("2024-02-29"))
    assert answer.earliest_repair == D("2024-08-29")
    assert answer.confirmed is True
    assert book.origins["ndrc-order-58"] == str(extra)
    assert book.sha256 != load_rulesets().sha256


def test_extra_file_adds_a_sector_rule_set_and_requirement_labels(tmp_path: Path) -> None:
    extra = _write(
        tmp_path, {"requirements": {"commitment": "信用承诺书（本地格式）"}, "rulesets": [LOCAL]}
    )
    book = load_rulesets([extra])
    answer = compute_periods(book, severity="一般", decided=D("2024-05-31"), sector="交通运输")
    assert answer.rule_set == "厦信用办〔2024〕1号"
    assert (answer.earliest_repair, answer.auto_withdraw) == (D("2024-06-30"), D("2024-11-30"))
    assert answer.requirements[0].label == "信用承诺书（本地格式）"
    minor = compute_periods(book, severity="轻微", decided=D("2024-05-31"), sector="交通运输")
    assert not minor.published and minor.reason is not None and "不予公示" in minor.reason
    # Another sector still follows Order 58.
    other = compute_periods(book, severity="一般", decided=D("2024-05-31"), sector="税务")
    assert other.rule_set_id == "ndrc-order-58"


def test_malformed_field_is_named_with_file_rule_set_and_path(tmp_path: Path) -> None:
    bad = dict(
        LOCAL,
        classes=dict(
            LOCAL["classes"],  # type: ignore[arg-type]
            严重={"published": True, "repairable": True, "min_months": "三个月", "max_months": 24},
        ),
    )
    extra = _write(tmp_path, {"rulesets": [bad]})
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([extra])
    err = exc.value
    assert str(extra) in err.message and "xm-2024-local" in err.message
    assert err.field == "classes.严重.min_months"
    assert "应为整数" in err.message
    assert "classes.严重.min_months" in err.message_en and "xm-2024-local" in err.message_en
    assert err.details == {
        "file": str(extra),
        "rule_set": "xm-2024-local",
        "field": "classes.严重.min_months",
    }


def test_min_above_max_is_reported_on_min_months(tmp_path: Path) -> None:
    bad = dict(
        LOCAL,
        classes=dict(
            LOCAL["classes"],  # type: ignore[arg-type]
            一般={"published": True, "repairable": True, "min_months": 13, "max_months": 12},
        ),
    )
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [bad]})])
    assert exc.value.field == "classes.一般.min_months"
    assert "大于最长公示期" in exc.value.message
    assert "exceeds max_months" in exc.value.message_en


def test_missing_class_and_unknown_field_are_reported(tmp_path: Path) -> None:
    classes = {k: v for k, v in LOCAL["classes"].items() if k != "轻微"}  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [dict(LOCAL, classes=classes)]})])
    assert exc.value.field == "classes" and "轻微" in exc.value.message

    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [dict(LOCAL, valid_form="2024-01-01")]})])
    assert exc.value.field == "valid_form" and "不认识的字段" in exc.value.message


def test_bad_date_and_missing_required_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [dict(LOCAL, valid_from="2024-13-01")]})])
    assert exc.value.field == "valid_from" and "YYYY-MM-DD" in exc.value.message
    no_name = {k: v for k, v in LOCAL.items() if k != "name"}
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [no_name]})])
    assert exc.value.field == "name" and "缺少必填字段" in exc.value.message


def test_unknown_requirement_code_is_an_error(tmp_path: Path) -> None:
    bad = dict(
        LOCAL,
        classes=dict(
            LOCAL["classes"],  # type: ignore[arg-type]
            一般={
                "published": True,
                "repairable": True,
                "min_months": 1,
                "max_months": 6,
                "requirements": ["notarised_oath"],
            },
        ),
    )
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [bad]})])
    assert exc.value.field == "classes.一般.requirements"
    assert "notarised_oath" in exc.value.message


def test_overlap_with_equal_precedence_in_the_same_scope_is_an_error(tmp_path: Path) -> None:
    clash = dict(
        LOCAL, id="national-clash", sectors=None, precedence=30, valid_from="2025-01-01"
    )  # overlaps Order 58, also precedence 30
    extra = _write(tmp_path, {"rulesets": [clash]})
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([extra])
    assert exc.value.field == "precedence"
    assert "ndrc-order-58" in exc.value.message and "national-clash" in exc.value.message
    # Different sectors do not clash.
    fine = dict(LOCAL, id="a", precedence=5)
    other = dict(LOCAL, id="b", precedence=5, sectors=["税务"])
    assert len(load_rulesets([_write(tmp_path, {"rulesets": [fine, other]})]).rule_sets) == 9


def test_duplicate_id_in_one_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, {"rulesets": [LOCAL, LOCAL]})])
    assert exc.value.field == "id" and "重复" in exc.value.message


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("rulesets:\n  - id: x\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([path])
    assert str(path) in exc.value.message and "YAML" in exc.value.message
    assert "line" in exc.value.message_en


def test_missing_file_and_wrong_top_level(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([tmp_path / "absent.yaml"])
    assert "absent.yaml" in exc.value.message
    with pytest.raises(ConfigurationError) as exc:
        load_rulesets([_write(tmp_path, ["not", "a", "mapping"])])
    assert exc.value.field == "rulesets"
