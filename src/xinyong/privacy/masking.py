"""Masking (去标识化) of personal data for public surfaces.

A rule keeps ``head`` characters at the start and ``tail`` at the end and replaces
the rest with ``*``; RULES.md §11 recommends at most the first 6 and last 4 of an
ID number. ``hide`` publishes nothing; ``none`` publishes the value as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MaskRule:
    mode: Literal["keep", "hide", "none"] = "keep"
    head: int = 0
    tail: int = 0

    def apply(self, value: str | None) -> str | None:
        if value is None or value == "":
            return value
        if self.mode == "none":
            return value
        if self.mode == "hide":
            return None
        n = len(value)
        head, tail = self.head, self.tail
        # Never reveal the whole value: short values keep less.
        while head + tail >= n and (head or tail):
            if tail:  # give up the tail first: "张*" reads better than "*三"
                tail -= 1
            else:
                head -= 1
        return value[:head] + "*" * (n - head - tail) + (value[n - tail :] if tail else "")


ID_NUMBER = MaskRule("keep", 6, 4)
PERSON_NAME = MaskRule("none")
HIDDEN = MaskRule("hide")
