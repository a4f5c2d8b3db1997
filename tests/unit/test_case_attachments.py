"""Attachments are checked by content and stored without hidden metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from xinyong.cases.attachments import clean_attachment, safe_name
from xinyong.errors import ValidationFailed

MB = 1024 * 1024


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = "张三"  # Artist
    exif[0x0110] = "Phone X"  # Model
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _pdf_with_metadata() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "张三", "/Creator": "某扫描仪"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_jpeg_exif_is_removed_and_pixels_kept() -> None:
    data = _jpeg_with_exif()
    assert Image.open(io.BytesIO(data)).getexif()  # the upload carries EXIF
    clean = clean_attachment("IMG_0001.JPG", data, max_bytes=MB)
    image = Image.open(io.BytesIO(clean.data))
    assert clean.content_type == "image/jpeg" and clean.filename == "IMG_0001.jpg"
    assert not image.getexif() and "exif" not in image.info
    assert image.size == (40, 30)


def test_png_text_chunks_are_removed() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三")
    out = io.BytesIO()
    Image.new("L", (10, 10), 128).save(out, format="PNG", pnginfo=info)
    clean = clean_attachment("证明.png", out.getvalue(), max_bytes=MB)
    assert "Author" not in Image.open(io.BytesIO(clean.data)).info


def test_pdf_document_information_is_removed() -> None:
    data = _pdf_with_metadata()
    before = PdfReader(io.BytesIO(data)).metadata
    assert before is not None and before.author == "张三"
    clean = clean_attachment("缴款凭证.pdf", data, max_bytes=MB)
    reader = PdfReader(io.BytesIO(clean.data))
    metadata = dict(reader.metadata or {})
    assert "/Author" not in metadata and "/Creator" not in metadata
    assert len(reader.pages) == 1


def test_type_comes_from_the_content_not_the_name() -> None:
    out = io.BytesIO()
    Image.new("RGB", (5, 5)).save(out, format="PNG")
    clean = clean_attachment("授权委托书.pdf", out.getvalue(), max_bytes=MB)
    assert (clean.content_type, clean.filename) == ("image/png", "授权委托书.png")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 100, "仅接受 PDF、PNG 或 JPEG"),
        ("empty.pdf", b"", "附件为空"),
        ("big.pdf", b"%PDF-1.7" + b"0" * (2 * MB), "附件超过 1 MB"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50, "图片文件已损坏"),
        ("broken.pdf", b"%PDF-1.7\nnot really", "PDF 文件已损坏"),
    ],
)
def test_bad_attachments_are_refused_with_the_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        clean_attachment(name, data, max_bytes=MB)
    problem = caught.value.problems[0]
    assert problem.field == "attachment" and reason in problem.reason


def test_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationFailed) as caught:
        clean_attachment("加密.pdf", out.getvalue(), max_bytes=MB)
    assert "已加密" in caught.value.problems[0].reason


def test_safe_name_drops_paths_and_control_characters() -> None:
    assert safe_name("../../etc/passwd\x00.pdf", ".pdf") == "passwd.pdf"
    assert safe_name("C:\\Users\\张三\\身份证.jpeg", ".jpg") == "身份证.jpg"
    assert safe_name("...", ".png") == "附件.png"
