"""Attachments of objections and repair applications (proofs, authorisation letters,
受理通知书): checked by content, not by name, and stored without hidden metadata.

- The type is sniffed from the first bytes: PDF, PNG or JPEG; anything else is refused
  whatever its file name says, and the stored name gets the sniffed extension.
- Size is limited (``Settings.attachment_max_mb``).
- Images are decoded with Pillow (a truncated or malformed file is refused, and so is a
  decompression bomb) and re-encoded from their pixels: EXIF (camera, GPS position,
  owner), text chunks and ICC profiles stay behind.
- PDFs are read with pypdf and their pages copied into a new document: the document
  information (author, creator, dates) and XMP metadata stay behind. Encrypted PDFs are
  refused, because they cannot be checked.

Both libraries are the maintained standard for their format; hand-written parsing of
either would be unsafe.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from xinyong.errors import ValidationFailed

# Sniffed type → (content type, extension).
TYPES = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
}
MAX_PIXELS = 40_000_000  # larger images are refused as possible decompression bombs
MAX_PDF_PAGES = 200


@dataclass(frozen=True)
class CleanFile:
    """An attachment as stored: a safe name, its type, the cleaned bytes, their hash."""

    filename: str
    content_type: str
    data: bytes
    sha256: str


def sniff(data: bytes) -> str | None:
    """The attachment type of ``data`` from its first bytes, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def _refuse(field: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed.one(field, zh, en)


def safe_name(filename: str, extension: str) -> str:
    """The base name without path, control characters or the original extension,
    with ``extension`` (the sniffed type's); at most 100 characters."""
    base = PurePath(filename.replace("\\", "/")).name
    stem = PurePath(base).stem if "." in base else base
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C").strip(" .")
    return (stem[:100] or "附件") + extension


def _clean_image(data: bytes, kind: str, field: str) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(
                        field,
                        "图片尺寸过大，请缩小后再上传",
                        f"image of {probe.width}x{probe.height} pixels refused",
                    )
                probe.verify()  # checks the structure; the image must be reopened after
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                pixels = Image.frombytes(image.mode, image.size, image.tobytes())
                if kind == "jpeg" and pixels.mode not in ("RGB", "L"):
                    pixels = pixels.convert("RGB")
                out = io.BytesIO()
                if kind == "jpeg":
                    pixels.save(out, format="JPEG", quality=90)
                else:
                    if image.palette is not None and pixels.mode == "P":
                        pixels.putpalette(image.getpalette() or [])
                    pixels.save(out, format="PNG", optimize=True)
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise _refuse(field, "图片文件已损坏或无法识别", f"unreadable image: {exc}") from exc
    return out.getvalue()


def _clean_pdf(data: bytes, field: str) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(field, "PDF 文件已加密，请上传未加密的文件", "encrypted PDF refused")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise _refuse(
                field,
                f"PDF 最多 {MAX_PDF_PAGES} 页",
                f"PDF of {len(reader.pages)} pages refused",
            )
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        writer.add_metadata({"/Producer": ""})  # pypdf would otherwise name itself
        out = io.BytesIO()
        writer.write(out)
    except ValidationFailed:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise _refuse(field, "PDF 文件已损坏或无法识别", f"unreadable PDF: {exc}") from exc
    return out.getvalue()


def clean_attachment(
    filename: str, data: bytes, *, max_bytes: int, field: str = "attachment"
) -> CleanFile:
    """Check one uploaded attachment and return it as it may be stored; a
    ``ValidationFailed`` naming ``field`` and the reason otherwise."""
    if not data:
        raise _refuse(field, "附件为空", "empty attachment")
    if len(data) > max_bytes:
        limit = max_bytes // (1024 * 1024)
        raise _refuse(
            field,
            f"附件超过 {limit} MB，请压缩后再上传",
            f"attachment of {len(data)} bytes over the {max_bytes}-byte limit",
        )
    kind = sniff(data)
    if kind is None:
        raise _refuse(
            field,
            "仅接受 PDF、PNG 或 JPEG 格式的附件",
            "attachment is not a PDF, PNG or JPEG file (by content)",
        )
    content_type, extension = TYPES[kind]
    cleaned = _clean_pdf(data, field) if kind == "pdf" else _clean_image(data, kind, field)
    return CleanFile(
        safe_name(filename, extension),
        content_type,
        cleaned,
        hashlib.sha256(cleaned).hexdigest(),
    )
