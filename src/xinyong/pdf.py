"""HTML to PDF with WeasyPrint, for printable Chinese documents (repair reminder letters).

WeasyPrint lays text out with Pango and embeds a *subset* of each font face it uses. With
Debian's ``libharfbuzz-subset0`` the subset is made by HarfBuzz: a one-page letter in Noto
CJK renders in about half a second and weighs some 200-300 KB (about 90 KB per face used).
Without it WeasyPrint falls back to fontTools over the 20 MB collection, which takes
seconds per document (STACK.md §4). ``scripts/system-deps.sh`` installs the libraries and
``fonts-noto-cjk`` (see docs/repair-letters.md). Routes call it from FastAPI's thread
pool (plain ``def`` handlers), so a render never blocks the event loop.
"""

from __future__ import annotations

import re

# Debian's fonts-noto-cjk, installed as system fonts that fontconfig (hence Pango) finds.
# Each face used embeds its own subset (~90 KB even for a few glyphs), so documents should
# keep to one family: the base style uses the serif for everything.
SERIF = '"Noto Serif CJK SC", "Noto Serif CJK", "Source Han Serif SC", serif'

# Added before the document's own styles: fonts and A4 pages unless the document says
# otherwise.
BASE_CSS = f"""
@page {{ size: A4; margin: 25mm 22mm 22mm 22mm; }}
html {{ font-family: {SERIF}; font-size: 12pt; line-height: 1.6; }}
@page {{ @bottom-center {{ font-family: {SERIF}; }} }}
"""

# Characters that WeasyPrint lays out pathologically slowly or not at all with Debian's
# Pango (U+2011 makes a page take ~55 s: WeasyPrint#2811), mapped to safe equivalents.
_NORMALISE = str.maketrans(
    {
        "\u2011": "-",  # non-breaking hyphen
        "\u00ad": "",  # soft hyphen
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(html: str) -> str:
    """``html`` with the characters WeasyPrint handles badly replaced or removed."""
    return _CONTROL.sub("", html.translate(_NORMALISE))


def harfbuzz_subsetting() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (``libharfbuzz-subset0`` ≥ 4.1
    present), not with its slow fontTools fallback."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes (A4, Noto CJK fonts by default).

    ``base_url`` resolves relative links and images; nothing is fetched from the network
    unless the document names an absolute URL.
    """
    # Imported here: WeasyPrint loads Pango through cffi at import time, which only the
    # PDF routes need.
    from weasyprint import CSS, HTML

    document = HTML(string=normalise_text(html), base_url=base_url)
    stylesheet = CSS(string=BASE_CSS)
    pdf = document.write_pdf(stylesheets=[stylesheet])
    if not isinstance(pdf, bytes):  # write_pdf without a target returns the bytes
        raise TypeError("WeasyPrint returned no PDF bytes")
    return pdf
