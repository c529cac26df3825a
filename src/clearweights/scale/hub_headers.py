"""safetensors headers of Hub files by range requests: the 8-byte length, then the header only.

``scan --hub QUERY --weights-headers``: for each ``*.safetensors`` file a model lists, two
ranged GETs through ``huggingface_hub``'s own HTTP session (its token and endpoint): bytes 0-7,
the header's length, then bytes 8 to 8 + length - 1, the header, if it is not over
:data:`HUB_HEADER_LIMIT`. A server that answers a range request with anything but
``206 Partial Content`` (it would send the whole file) is refused before its body is read, and
no more bytes than asked are ever read. The header is checked by the same validator as a local
file's (offsets inside the file, contiguous, shapes matching sizes, known dtypes), against the
file's size the server gives in ``Content-Range``.
"""

from __future__ import annotations

import io
import re
import struct
from typing import Any

from clearweights.errors import ReleaseError
from clearweights.weights._headers import InvalidHeader, safetensors
from clearweights.weights.model import WeightsHeader

# The most header bytes read per file: a real header is about 100 bytes a tensor (a model of
# 2,000 tensors: 200 KB); the format itself allows 100 MB.
HUB_HEADER_LIMIT = 16 << 20
_TOTAL = re.compile(r"^bytes \d+-\d+/(\d+)$")
_TIMEOUT = 30.0


def header_files(siblings: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The safetensors files of a row's file list, with their listed sizes."""
    return [(name, size) for name, size in siblings if name.lower().endswith(".safetensors")]


def _range(session: Any, url: str, start: int, end: int) -> tuple[bytes, int | None]:
    """Bytes *start* to *end* (inclusive) of *url*, and the file's size the server gives.

    Raises:
        OSError: the server did not answer 206 with those bytes (no more are read).
    """
    # NOTE: huggingface_hub.utils loads it lazily and mypy does not see the export.
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

    headers = {**build_hf_headers(), "Range": f"bytes={start}-{end}"}
    wanted = end - start + 1
    with session.stream("GET", url, headers=headers, follow_redirects=True,
                        timeout=_TIMEOUT) as response:  # fmt: skip
        if response.status_code != 206:  # 200 would be the whole file: never read it
            raise OSError(f"HTTP {response.status_code} to a range request")
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > wanted:
                raise OSError("the server sent more bytes than the range asked")
        total = _TOTAL.match(response.headers.get("content-range", "").strip())
    if len(data) != wanted:
        raise OSError(f"the server sent {len(data)} bytes where the range asked {wanted}")
    return bytes(data), int(total.group(1)) if total else None


def read_header(session: Any, url: str, name: str, listed_size: int) -> WeightsHeader:
    """The header of one safetensors file at *url*; a bad header is reported in the result.

    Raises:
        ReleaseError: the file could not be read by range requests (network, HTTP status).
    """
    try:
        head, size = _range(session, url, 0, 7)
        size = size or listed_size
        (length,) = struct.unpack("<Q", head)
        if length > HUB_HEADER_LIMIT:
            error = f"unreadable header: its length {length} is over the {HUB_HEADER_LIMIT}"
            return WeightsHeader(name, "safetensors", error=error + " bytes read from the Hub")
        body = b""
        if length > 0 and 8 + length <= size:  # else the validator says what is wrong
            body, _ = _range(session, url, 8, 7 + length)
    except OSError as exc:
        raise ReleaseError(f"{name}: its header could not be read from the Hub: {exc}") from None
    except Exception as exc:  # httpx's transport errors, timeouts
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        raise ReleaseError(f"{name}: its header could not be read from the Hub: {why}") from None
    return _validated(head + body, name, size)


def _validated(data: bytes, name: str, size: int) -> WeightsHeader:
    """The checks of a local file's header, on the bytes read and the file's real size."""
    try:
        return safetensors(io.BytesIO(data), name, size)
    except InvalidHeader as exc:
        return WeightsHeader(name, "safetensors", error=f"invalid header: {exc}", invalid=True)
    except (ValueError, TypeError, AttributeError, struct.error, RecursionError) as exc:
        return WeightsHeader(name, "safetensors", error=f"unreadable header: {exc}")


def read_headers(
    repo_id: str, revision: str, files: list[tuple[str, int]], endpoint: str
) -> tuple[WeightsHeader, ...]:
    """The headers of a repository's safetensors *files* at *revision* (its commit).

    Raises:
        ReleaseError: a file could not be read by range requests.
    """
    from huggingface_hub import get_session, hf_hub_url

    session = get_session()
    headers = []
    for name, size in files:
        url = hf_hub_url(repo_id, name, revision=revision, endpoint=endpoint)
        try:
            headers.append(read_header(session, url, name, size))
        except ReleaseError as exc:
            raise ReleaseError(exc.message, path=repo_id) from None
    return tuple(headers)
