"""Pure rules of subject search: query cleaning, code detection, limits, LIKE escaping."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import opencc

from xinyong.codes.rules import USCC_ALPHABET, normalize_code
from xinyong.errors import ValidationFailed
from xinyong.subjects.rules import normalize_name

MIN_CHARS = 2
MAX_CHARS = 50
MAX_RESULTS = 200  # never page deeper than this: users refine the name instead
MAX_PER_PAGE = 50

USCC_PATTERN = re.compile(f"[{USCC_ALPHABET}]{{18}}")
_REGNO = re.compile(r"[0-9]{15}")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    # OpenCC (the reference Traditional→Simplified converter) rather than a hand-kept
    # character table: it knows phrases and variant characters.
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters converted to Simplified (深圳市場 → 深圳市场)."""
    return str(_converter().convert(text))


def search_text(name: str) -> str:
    """A name or query as searched: control characters (NUL …) dropped,
    ``normalize_name``, then Traditional → Simplified."""
    printable = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    return to_simplified(normalize_name(printable))


@dataclass(frozen=True)
class Query:
    """A cleaned query: what to look for and how."""

    text: str
    kind: Literal["uscc", "regno", "name"]


def clean_query(raw: str) -> Query:
    """Clean and classify a user's query; raises ValidationFailed for unusable input."""
    code = normalize_code(raw)
    if USCC_PATTERN.fullmatch(code):
        return Query(code, "uscc")
    if _REGNO.fullmatch(code):
        return Query(code, "regno")
    text = search_text(raw)
    if len(text) < MIN_CHARS:
        raise ValidationFailed.one(
            "q", "请至少输入两个字", f"a query needs at least {MIN_CHARS} characters"
        )
    if len(text) > MAX_CHARS:
        raise ValidationFailed.one(
            "q", f"最多输入 {MAX_CHARS} 个字", f"a query has at most {MAX_CHARS} characters"
        )
    return Query(text, "name")


def check_paging(page: int, per_page: int) -> None:
    """Refuse pages outside 1.., page sizes outside 1..50 and results past the 200th."""
    if page < 1:
        raise ValidationFailed.one("page", "页码应从 1 开始", "page must be at least 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed.one(
            "per_page",
            f"每页条数应在 1 到 {MAX_PER_PAGE} 之间",
            f"per_page must be between 1 and {MAX_PER_PAGE}",
        )
    if page * per_page > MAX_RESULTS:
        raise ValidationFailed.one(
            "page",
            f"仅显示前 {MAX_RESULTS} 条，请输入更具体的名称",
            f"only the first {MAX_RESULTS} results are shown",
        )


def escape_like(text: str, escape: str = "\\") -> str:
    """``text`` with LIKE metacharacters (``%``, ``_`` and the escape) escaped."""
    return (
        text.replace(escape, escape + escape).replace("%", escape + "%").replace("_", escape + "_")
    )


def fts5_phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: double quotes doubled, so no query syntax leaks in."""
    return '"' + text.replace('"', '""') + '"'


def is_bigram(text: str) -> bool:
    """Whether a 2-character query is a term of the bigram index (two letters or
    digits; ``subjects.rules.name_bigrams``)."""
    return len(text) == 2 and text[0].isalnum() and text[1].isalnum()
