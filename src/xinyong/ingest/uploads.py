"""Keeping uploaded files: every file a department sends is stored as received."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path, PureWindowsPath
from typing import BinaryIO

from xinyong.errors import ValidationFailed
from xinyong.ingest.service import FileInfo

FILENAME_CHARS = 300  # the submission keeps at most this much of the name
STORED_NAME_BYTES = 200  # room on disk, under the common 255-byte limit once prefixed


def _fits_on_disk(name: str) -> str:
    """``name`` shortened (extension kept) to fit the file-name limit of common file
    systems: a long Chinese name is three bytes a character."""
    stem, suffix = os.path.splitext(name)
    room = STORED_NAME_BYTES - len(suffix.encode())
    while len(stem.encode()) > room:
        stem = stem[:-1]
    return stem + suffix


def save_upload(
    stream: BinaryIO, filename: str | None, *, folder: Path, limit_mb: int
) -> tuple[Path, FileInfo]:
    """Copy ``stream`` into ``folder`` (hashing as it goes), refusing it once it passes
    ``limit_mb`` without ever holding it whole in memory."""
    limit = limit_mb * 1024 * 1024
    folder.mkdir(parents=True, exist_ok=True)
    # Both separators: old browsers send the whole Windows path.
    name = (PureWindowsPath(filename or "").name.strip() or "upload")[:FILENAME_CHARS]
    target = folder / f"{uuid.uuid4().hex}-{_fits_on_disk(name)}"
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise ValidationFailed.one(
                    "file",
                    f"文件超过 {limit_mb} MB 上限；请拆分后上传，"
                    "或由信用办使用命令行 xinyong ingest 导入",
                    f"file larger than {limit_mb} MB",
                )
            digest.update(chunk)
            out.write(chunk)
    return target, FileInfo(name, digest.hexdigest(), size)
