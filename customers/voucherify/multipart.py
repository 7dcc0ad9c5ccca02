"""A streamed `multipart/form-data` body: one file field, read in chunks while it is sent."""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from typing import IO, Any

CHUNK_SIZE = 64 * 1024


def _remaining_size(file: Any) -> int | None:
    """Bytes left to read from `file`, when that can be known without reading it."""
    if isinstance(file, io.TextIOBase):
        return None  # characters, not bytes
    size = getattr(file, "size", None)  # Django's UploadedFile
    if isinstance(size, int):
        return size
    try:
        return os.fstat(file.fileno()).st_size - file.tell()
    except (AttributeError, OSError, ValueError):
        pass
    try:
        position = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return end - position


def _quote(filename: str) -> str:
    return filename.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")


class MultipartFile:
    """The body of a form with one file field, produced lazily so a large file is never held.

    `requests` sends it as a stream (it is iterable); `len` lets requests set Content-Length
    when the file size is known, otherwise the body goes out chunked. `read()` is there for
    consumers that want a file-like object (the sandbox adapter, `responses`).
    """

    def __init__(
        self,
        file: IO[Any],
        filename: str,
        *,
        field: str = "file",
        content_type: str = "text/csv",
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self._file = file
        self._chunk_size = chunk_size
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        size = _remaining_size(file)
        self.len = None if size is None else len(self._head) + size + len(self._tail)
        self._chunks: Iterator[bytes] | None = None
        self._buffer = b""

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        while chunk := self._file.read(self._chunk_size):
            yield chunk.encode() if isinstance(chunk, str) else chunk
        yield self._tail

    def read(self, size: int = -1) -> bytes:
        if self._chunks is None:
            self._chunks = iter(self)
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
