"""Pure rules about credit subjects (信用主体): kinds and name normalisation."""

from __future__ import annotations

import itertools
import re
import unicodedata
from enum import StrEnum


class SubjectKind(StrEnum):
    """Kinds of 信用主体; the value is the code name, ``label`` the Chinese term."""

    legal_person = "legal_person"
    individual_business = "individual_business"
    natural_person = "natural_person"
    public_body = "public_body"
    social_organisation = "social_organisation"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    SubjectKind.legal_person: "法人及非法人组织",
    SubjectKind.individual_business: "个体工商户",
    SubjectKind.natural_person: "自然人",
    SubjectKind.public_body: "机关事业单位",
    SubjectKind.social_organisation: "社会组织",
}

# 行政相对人类别 of the 双公示 layout (RULES.md §3) → subject kind.
CATEGORY_TO_KIND = {
    "法人及非法人组织": SubjectKind.legal_person,
    "个体工商户": SubjectKind.individual_business,
    "自然人": SubjectKind.natural_person,
}

# USCC registration authority + category (positions 1–2, RULES.md §10) → subject kind.
_PREFIX_KIND = {
    "11": SubjectKind.public_body,
    "12": SubjectKind.public_body,
    "13": SubjectKind.public_body,
    "19": SubjectKind.public_body,
    "31": SubjectKind.public_body,
    "51": SubjectKind.social_organisation,
    "52": SubjectKind.social_organisation,
    "53": SubjectKind.social_organisation,
    "59": SubjectKind.social_organisation,
    "92": SubjectKind.individual_business,
}


def kind_from_uscc(uscc: str) -> SubjectKind:
    """The likely subject kind of a USCC from its first two characters."""
    return _PREFIX_KIND.get(uscc[:2], SubjectKind.legal_person)


_SPACES = re.compile(r"\s+")


def normalize_name(name: str) -> str:
    """A name as compared and searched: NFKC (full-width to half-width, （）→()), no spaces."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width
    return _SPACES.sub("", text).strip()


def clean_display_name(name: str) -> str:
    """A name as displayed: trimmed, inner runs of spaces collapsed, zero-width removed."""
    text = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    return _SPACES.sub(" ", text).strip()


def name_bigrams(name_norm: str) -> str:
    """Every pair of adjacent letters or digits in a normalised name, once each,
    space-separated (``厦门科技`` → ``厦门 门科 科技``): the terms of the bigram index that
    answers 2-character searches (trigram indexes cannot). Pairs with punctuation are
    left out; such queries scan instead."""
    seen: dict[str, None] = {}
    for a, b in itertools.pairwise(name_norm):
        if a.isalnum() and b.isalnum():
            seen.setdefault((a + b).casefold(), None)
    return " ".join(seen)
