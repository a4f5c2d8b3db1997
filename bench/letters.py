"""Repair reminder letters (信用修复提醒函, 两书同达): HTML → PDF with WeasyPrint.

The letter is rendered from an in-memory ``ReminderLetter`` (no database), N times;
the baseline, measured in the same run, is WeasyPrint rendering a one-line ASCII page
(no CJK font to subset), so the ratio shows what Chinese text and the letter's layout
cost. STACK.md §4 anchor: about 0.24 s for one Chinese page with libharfbuzz-subset0.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
import uuid
from collections.abc import Callable

from xinyong.cases.letters import ReminderLetter, render_reminder_html
from xinyong.pdf import harfbuzz_subsetting, html_to_pdf
from xinyong.rulesets.rules import Requirement

RUNS = int(os.environ.get("XINYONG_BENCH_LETTERS", "20"))


def _letter() -> ReminderLetter:
    return ReminderLetter(
        record_id=uuid.uuid4(),
        site_name="信用示范市",
        subject_name="厦门鹭岛信泽文化传媒有限公司",
        subject_code="91350200MA2PBMEM0X",
        subject_code_label="统一社会信用代码",
        natural_person=False,
        authority="厦门市市场监督管理局",
        doc_number="厦市监罚〔2026〕12号",
        decision_date=dt.date(2026, 6, 1),
        item_name="行政处罚",
        severity="一般",
        rule_set="国家市场监督管理总局令第107号",
        rule_set_title="市场监管信用修复管理办法",
        publication_start=dt.date(2026, 6, 1),
        counted_from="decision",
        earliest_repair=dt.date(2026, 9, 1),
        auto_withdraw=dt.date(2027, 6, 1),
        requirements=(
            Requirement("proof_of_performance", "已履行行政处罚决定等法定义务的证明材料"),
            Requirement("harm_removed", "已主动消除危害后果和不良影响"),
            Requirement("commitment", "信用修复承诺书（公开信用承诺）"),
        ),
        apply_at="https://credit.example.gov.cn/subjects/91350200MA2PBMEM0X",
        office_days=10,
        department_days=3,
    )


def _times(fn: Callable[[], bytes], n: int) -> tuple[list[float], int]:
    fn()  # warm-up: fonts and templates load once per process
    out: list[float] = []
    size = 0
    for _ in range(n):
        start = time.perf_counter()
        size = len(fn())
        out.append((time.perf_counter() - start) * 1000)
    return out, size


def run() -> None:
    html = render_reminder_html(_letter())
    plain = "<html><body><p>Hello</p></body></html>"
    ours, size = _times(lambda: html_to_pdf(html), RUNS)
    base, _ = _times(lambda: html_to_pdf(plain), RUNS)
    p50, p95 = statistics.median(ours), statistics.quantiles(ours, n=20)[18]
    b50 = statistics.median(base)
    print("## Repair reminder letters (PDF)\n")
    print(f"HarfBuzz subsetting: {'yes' if harfbuzz_subsetting() else 'NO (slow fallback)'}\n")
    print("| Benchmark | Xinyong | Baseline (same run) | Ratio |")
    print("|---|---|---|---|")
    print(
        f"| 信用修复提醒函 HTML→PDF, {RUNS} runs | p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"{size / 1024:.0f} KB | one-line ASCII page p50 {b50:.0f} ms | {p50 / b50:.1f}× |"
    )
    print()
