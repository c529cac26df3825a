"""Text of a PDF knowledge document, through the optional ``pdf`` extra (pypdf, pure Python).

A PDF from a contributed repository is untrusted: pages and extracted text are bounded, and
anything pypdf cannot read is an error naming the leaf and the document, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearweights.errors import TaxonomyError

if TYPE_CHECKING:
    from clearweights.taxonomy.model import Leaf

MAX_PDF_PAGES = 500
MAX_PDF_TEXT = 4 << 20  # characters, as for a Markdown document


def pdf_text(data: bytes, leaf: Leaf, name: str) -> str:
    """The text of every page, pages separated by blank lines.

    Raises:
        TaxonomyError: pypdf is not installed, the file is not a readable PDF, it has too many
            pages or too much text, or it holds no text at all (a scan without OCR).
    """
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:
        raise TaxonomyError(
            f"document {name} is a PDF, and reading PDFs needs the pdf extra",
            path=leaf.path,
            hint="pip install 'clearweights[pdf]', or convert the document to Markdown",
        ) from None
    import io

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if len(reader.pages) > MAX_PDF_PAGES:
            raise TaxonomyError(
                f"document {name} has {len(reader.pages)} pages, over the limit of {MAX_PDF_PAGES}",
                path=leaf.path,
            )
        parts: list[str] = []
        size = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            size += len(text)
            if size > MAX_PDF_TEXT:
                raise TaxonomyError(
                    f"document {name} holds over {MAX_PDF_TEXT} characters of text",
                    path=leaf.path,
                )
            parts.append(text.strip())
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise TaxonomyError(
            f"document {name} is not a readable PDF ({exc})", path=leaf.path
        ) from None
    text = "\n\n".join(p for p in parts if p)
    if not text:
        raise TaxonomyError(
            f"document {name} is a PDF without text (a scanned image?)",
            path=leaf.path,
            hint="convert it to Markdown",
        )
    return text
