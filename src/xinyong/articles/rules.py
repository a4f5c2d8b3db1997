"""Pure rules of articles: labels, input checks and Markdown to safe HTML.

Nothing here touches the database or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from xinyong.errors import Problem

KIND_LABELS = {"news": "信用动态", "policy": "政策法规"}
STATUS_LABELS = {"draft": "草稿", "published": "已发布", "withdrawn": "已撤回"}
FIELD_LABELS = {
    "kind": "栏目",
    "title": "标题",
    "summary": "摘要",
    "body": "正文",
    "source": "来源",
    "reason": "撤回理由",
    "page": "页码",
}

TITLE_MAX = 200
SUMMARY_MAX = 500
SOURCE_MAX = 100
BODY_MAX = 50_000
REASON_MAX = 500

# Public lists: pages of PER_PAGE, and no further than MAX_PAGE (older articles are
# still reachable by their address; a crawler cannot walk the table with OFFSET).
PER_PAGE = 20
MAX_PAGE = 50

_SPACES = re.compile(r"\s+")
# A scheme is whatever stands before the first ':' that comes before any '/', '?' or '#'.
_SCHEME = re.compile(r"^([^/?#]*):")
ALLOWED_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class ArticleInput:
    """An article's fields as entered, normalised (stripped; empty optionals are None)."""

    kind: str
    title: str
    body: str
    summary: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "source": self.source,
        }


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def normalise(
    *, kind: str, title: str, body: str, summary: str | None = None, source: str | None = None
) -> ArticleInput:
    """Strip the input: the title on one line, the body without trailing blanks and
    with Unix line ends (browsers send CRLF)."""
    return ArticleInput(
        kind=kind.strip(),
        title=_SPACES.sub(" ", title).strip(),
        body=body.replace("\r\n", "\n").replace("\r", "\n").strip(),
        summary=_optional(_SPACES.sub(" ", summary) if summary else None),
        source=_optional(source),
    )


def _too_long(field: str, limit: int, length: int) -> Problem:
    return Problem(
        field,
        f"{FIELD_LABELS[field]}不能超过 {limit} 个字（现为 {length} 个）",
        f"{field} is {length} characters, the limit is {limit}",
    )


def check_article(data: ArticleInput) -> list[Problem]:
    """Every problem of a normalised article, each naming its field."""
    problems: list[Problem] = []
    if data.kind not in KIND_LABELS:
        problems.append(
            Problem(
                "kind",
                "栏目应为“信用动态”或“政策法规”",
                f"kind must be one of {sorted(KIND_LABELS)}, got {data.kind!r}",
            )
        )
    if not data.title:
        problems.append(Problem("title", "标题不能为空", "title is empty"))
    elif len(data.title) > TITLE_MAX:
        problems.append(_too_long("title", TITLE_MAX, len(data.title)))
    if data.summary and len(data.summary) > SUMMARY_MAX:
        problems.append(_too_long("summary", SUMMARY_MAX, len(data.summary)))
    if data.source and len(data.source) > SOURCE_MAX:
        problems.append(_too_long("source", SOURCE_MAX, len(data.source)))
    if not data.body:
        problems.append(Problem("body", "正文不能为空", "body is empty"))
    elif len(data.body) > BODY_MAX:
        problems.append(_too_long("body", BODY_MAX, len(data.body)))
    return problems


def check_reason(reason: str | None) -> tuple[str | None, list[Problem]]:
    """The stripped withdrawal reason and its problems (it is required)."""
    text = (reason or "").strip()
    if not text:
        return None, [Problem("reason", "撤回理由不能为空", "a withdrawal needs a reason")]
    if len(text) > REASON_MAX:
        return None, [_too_long("reason", REASON_MAX, len(text))]
    return text, []


def check_page(page: int) -> list[Problem]:
    if page < 1:
        return [Problem("page", "页码应从 1 开始", "page must be at least 1")]
    if page > MAX_PAGE:
        return [
            Problem(
                "page",
                f"列表最多显示到第 {MAX_PAGE} 页，更早的文章请按时间顺序从前面的页查看",
                f"article lists stop at page {MAX_PAGE}",
            )
        ]
    return []


# --- Markdown ------------------------------------------------------------------------------


def safe_link(url: str) -> bool:
    """Links and images may point only to http(s) or to a relative address.

    markdown-it has decoded entities and percent-encoded the address before this is
    called, so ``&#106;avascript:`` arrives as ``javascript:`` and is refused here.
    """
    match = _SCHEME.match(url.strip())
    if match is None:
        return True  # relative: path, ?query, #fragment or //host
    return match.group(1).lower() in ALLOWED_SCHEMES


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if _SCHEME.match(href):  # an absolute link leaves the site
        token.attrSet("rel", "noopener noreferrer")
    rendered: str = self.renderToken(tokens, idx, options, env)
    return rendered


def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML off: "<script>" in the body is shown as text, never run.
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


_MD = _markdown()


def render_markdown(text: str) -> str:
    """The body as HTML that is safe to put in a page unescaped."""
    html: str = _MD.render(text)
    return html


def plain_text(text: str, limit: int = 120) -> str:
    """The body's words without markup, cut to ``limit`` characters (for excerpts)."""
    words: list[str] = []
    for token in _MD.parse(text):
        if token.type == "inline" and token.children:
            words.append(
                "".join(c.content for c in token.children if c.type in ("text", "code_inline"))
            )
        elif token.type in ("code_block", "fence"):
            words.append(token.content)
    joined = _SPACES.sub(" ", " ".join(w for w in words if w)).strip()
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


def excerpt(summary: str | None, body: str, limit: int = 120) -> str:
    """What a list shows under a title: the summary, else the start of the body."""
    return summary if summary else plain_text(body, limit)
