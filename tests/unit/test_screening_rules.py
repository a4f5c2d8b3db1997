"""Which measures a subject's triggers authorise and the status per scenario (pure)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalog.loader import load_catalog
from xinyong.measures.loader import MeasureBook, load_measures
from xinyong.screening.rules import (
    EntryFact,
    RecordFact,
    add_months,
    applicable_measures,
    in_force,
    measure_view,
    scenario_status,
)

ITEMS = list(load_catalog().items)
TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def book() -> MeasureBook:
    return load_measures(ITEMS)


def entry(list_code: str, expires_on: dt.date | None = None) -> EntryFact:
    return EntryFact(uuid.uuid4(), list_code, "厦市监认〔2026〕1号", TODAY, expires_on)


def penalty(
    types: tuple[str, ...] = ("吊销许可证件",),
    decided: dt.date = dt.date(2026, 3, 1),
    *,
    severity: str | None = "严重",
    published: bool = True,
) -> RecordFact:
    return RecordFact(
        uuid.uuid4(), "xzcf", "厦市监罚〔2026〕9号", decided, severity, types, published
    )


def codes(book: MeasureBook, kind: str = "legal_person", **facts: Any) -> list[str]:
    found = applicable_measures(
        book,
        subject_kind=kind,
        entries=facts.get("entries", ()),
        records=facts.get("records", ()),
        today=TODAY,
    )
    return [a.measure_code for a in found]


def test_a_revoked_licence_restricts_in_procurement_only(book: MeasureBook) -> None:
    found = codes(book, records=[penalty()])
    assert found == ["procurement-major-violation"]
    assert scenario_status(book, "procurement", found) == "restrict"
    assert scenario_status(book, "bidding", found) == "clear"


def test_a_fine_alone_triggers_nothing(book: MeasureBook) -> None:
    assert codes(book, records=[penalty(("罚款",))]) == []


def test_a_record_not_published_today_triggers_nothing(book: MeasureBook) -> None:
    assert codes(book, records=[penalty(published=False)]) == []


def test_the_three_year_look_back_of_the_procurement_law(book: MeasureBook) -> None:
    old = penalty(decided=dt.date(2023, 11, 24))
    assert codes(book, records=[old]) == []
    recent = penalty(decided=dt.date(2023, 11, 25))
    (applied,) = applicable_measures(
        book, subject_kind="legal_person", entries=(), records=[recent], today=TODAY
    )
    assert applied.until == dt.date(2026, 11, 25)


def test_a_listed_entry_restricts_in_bidding_and_procurement(book: MeasureBook) -> None:
    found = codes(book, entries=[entry("samr-serious")])
    assert set(found) == {"procurement-listed", "bidding-land-awards-listed", "funding-serious"}
    for scenario in ("procurement", "bidding", "land", "awards", "funding"):
        assert scenario_status(book, scenario, found) == "restrict"
    assert scenario_status(book, "licensing", found) == "clear"


def test_an_expired_entry_triggers_nothing(book: MeasureBook) -> None:
    assert codes(book, entries=[entry("samr-serious", expires_on=TODAY)]) == []


def test_targets_leave_out_natural_persons_for_list_measures(book: MeasureBook) -> None:
    found = codes(book, "natural_person", entries=[entry("samr-serious")])
    assert found == ["funding-serious"]  # the only list measure that targets persons
    assert codes(book, "public_body", records=[penalty()]) == []


def test_a_red_list_gives_reward_unless_a_punishment_applies(book: MeasureBook) -> None:
    red = codes(book, entries=[entry("tax-a")])
    assert red == ["licensing-green-channel"]
    assert scenario_status(book, "licensing", red) == "reward"
    assert scenario_status(book, "procurement", red) == "clear"


def test_only_measures_of_the_book_count(book: MeasureBook) -> None:
    assert scenario_status(book, "procurement", ["made-up-punishment"]) == "clear"


def test_severity_filter(tmp_path: Path) -> None:
    measure = {
        "code": "serious-only",
        "kind": "punish",
        "content": "限制评优",
        "targets": ["legal_person"],
        "triggers": {"records": [{"item": "xzcf", "severities": ["严重"]}]},
        "legal_basis": [{"document": "《某条例》", "article": "第一条", "level": "local_policy"}],
        "implementer": "各级行政机关",
        "scenarios": ["awards"],
    }
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump({"measures": [measure]}, allow_unicode=True), "utf-8")
    book = load_measures(ITEMS, [path])
    assert "serious-only" in codes(book, records=[penalty(("罚款",), severity="严重")])
    assert "serious-only" not in codes(book, records=[penalty(("罚款",), severity="一般")])
    view = measure_view(book, "serious-only", [], None)
    assert view["legal_basis"][0]["local_policy"] is True
    assert view["local_policy_only"] is True


def test_measure_view_carries_article_level_bases(book: MeasureBook) -> None:
    view = measure_view(book, "procurement-major-violation", [], None)
    assert view["legal_basis"][0]["document"] == "《中华人民共和国政府采购法》"
    assert view["legal_basis"][0]["article"] == "第二十二条第一款第（五）项"
    assert view["legal_basis"][0]["level"] == "law"


def test_add_months_and_in_force() -> None:
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 11, 24), 36) == dt.date(2026, 11, 24)
    assert in_force(TODAY, None, TODAY)
    assert not in_force(TODAY, TODAY, TODAY)
    assert not in_force(TODAY + dt.timedelta(days=1), None, TODAY)
