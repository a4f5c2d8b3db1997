"""Pure rules of notices: the shape of an e-mail address and its masked form."""

from __future__ import annotations

import re

from xinyong.privacy.masking import MaskRule

# Shape only (RFC 5321 lengths, one @, a dotted domain, no spaces or header-breaking
# characters); whether the mailbox exists only the recipient's server can tell.
_ATOM = r"[^@\s<>(),;:\"\[\]\\]"
_EMAIL = re.compile(rf"^{_ATOM}{{1,64}}@{_ATOM}+\.(?:(?!\.){_ATOM}){{2,}}$")
_LOCAL = MaskRule("keep", 1, 1)


def normalise_email(value: str) -> str | None:
    """The address trimmed, with its domain in lower case; ``None`` if it is not shaped
    like an e-mail address."""
    candidate = value.strip()
    if len(candidate) > 254 or not _EMAIL.match(candidate):
        return None
    local, _, domain = candidate.rpartition("@")
    if domain.startswith(".") or ".." in domain or local.startswith(".") or ".." in local:
        return None
    return f"{local}@{domain.lower()}"


def mask_email(address: str) -> str:
    """The address for staff screens and logs: ``z******n@example.com``. The domain stays
    (it tells staff which provider to expect trouble from); the mailbox name is masked."""
    local, at, domain = address.rpartition("@")
    if not at:
        return _LOCAL.apply(address) or ""
    return f"{_LOCAL.apply(local) or ''}@{domain}"
