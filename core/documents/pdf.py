"""Draw a :class:`~core.documents.model.Document` as an A4 PDF (fpdf2) with a
CJK font and the record number as a QR code (segno).

The layout is fixed (A4, fixed margins and sizes) and the PDF's dates are the
document's own business date, so the same record prints the same bytes every
time. The font is looked up at run time: ``pdf_font`` in ``config.toml`` (or
``CASEDESK_PDF_FONT``), then the Noto Sans CJK files Debian's
``fonts-noto-cjk`` installs; a clear refusal names the package when none is
found.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from core.documents.model import Boxes, Document, Fields, Heading, Para, Table
from core.errors import DomainError
from core.i18n import N_

# (regular, bold, index of the Simplified Chinese face in a .ttc collection)
FONT_CANDIDATES: tuple[tuple[str, str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "", 0),
)

MARGIN = 18.0
QR_MM = 26.0


def find_font() -> tuple[Path, Path | None, int]:
    """The CJK font to print with, or a refusal saying what to install."""
    from core.config import load_config

    configured = load_config().pdf_font
    if configured:
        p = Path(configured)
        if not p.is_file():
            raise DomainError.one("", "pdf_font", N_("The configured PDF font {path} does not exist."), path=str(p))
        return p, None, 0
    for regular, bold, index in FONT_CANDIDATES:
        if Path(regular).is_file():
            return Path(regular), (Path(bold) if bold and Path(bold).is_file() else None), index
    raise DomainError.one("", "pdf_font", N_("No Chinese font for printing was found: install Debian's "
                                             "fonts-noto-cjk package, or set pdf_font in config.toml."))


def qr_png(text: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=8, border=2)
    return buf.getvalue()


def render(doc: Document) -> bytes:
    """The document as PDF bytes."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    regular, bold, index = find_font()

    class _PDF(FPDF):
        def footer(self) -> None:  # noqa: D102 - fpdf2 hook
            self.set_y(-14)
            self.set_font("cjk", size=7.5)
            self.set_text_color(90)
            self.multi_cell(0, 3.6, f"{doc.footer}    {doc.number}    {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0)

    pdf = _PDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(datetime(doc.issued_on.year, doc.issued_on.month, doc.issued_on.day, tzinfo=timezone.utc))
    pdf.set_producer("casedesk")
    pdf.set_title(doc.title.replace("\n", " / "))
    pdf.set_subject(f"{doc.kind} {doc.number}")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("cjk", "", str(regular), collection_font_number=index)
    pdf.add_font("cjk", "B", str(bold or regular), collection_font_number=index)
    qr = io.BytesIO(qr_png(doc.number))
    width = pdf.w - 2 * MARGIN

    def text(size: float, body: str, *, style: str = "", h: float | None = None, w: float = 0) -> None:
        pdf.set_font("cjk", style=style, size=size)
        pdf.multi_cell(w, h or size * 0.5, body, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for copy in doc.copies:
        pdf.add_page()
        top = pdf.get_y()
        pdf.image(qr, x=pdf.w - MARGIN - QR_MM, y=top - 4, w=QR_MM, h=QR_MM)
        head_w = width - QR_MM - 4
        text(9, doc.issuer, w=head_w)
        pdf.ln(1)
        text(15, doc.title, style="B", h=7.5, w=head_w)
        pdf.ln(1)
        text(10, doc.number, style="B", w=head_w)
        if copy:
            text(9, copy, w=head_w)
        text(8.5, doc.article, w=head_w)
        pdf.set_y(max(pdf.get_y(), top + QR_MM - 2) + 3)
        pdf.set_draw_color(60)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(3)
        for block in doc.blocks:
            if isinstance(block, Heading):
                pdf.ln(1.5)
                text(11.5, block.text, style="B", h=6)
                pdf.ln(0.5)
            elif isinstance(block, Para):
                body = f"{block.text}  [{block.article}]" if block.article else block.text
                text(10, body, h=5.4)
                pdf.ln(1.5)
            elif isinstance(block, Fields):
                _table(pdf, ("", ""), block.rows, (2, 5), header=False)
                pdf.ln(2)
            elif isinstance(block, Table):
                _table(pdf, block.headers, block.rows, block.widths or tuple(1 for _ in block.headers))
                pdf.ln(2)
            elif isinstance(block, Boxes):
                _boxes(pdf, block)
    out = pdf.output()
    return bytes(out)


def _table(pdf, headers, rows, widths, *, header: bool = True) -> None:
    pdf.set_font("cjk", size=9.5)
    with pdf.table(col_widths=widths, first_row_as_headings=header, line_height=5.2,
                   text_align="LEFT", padding=1.2, borders_layout="ALL") as table:
        if header:
            r = table.row()
            for h in headers:
                r.cell(h)
        for row in rows:
            r = table.row()
            for cell in row:
                r.cell(str(cell))


def _boxes(pdf, block: Boxes) -> None:
    n = len(block.labels)
    gap = 6.0
    w = (pdf.w - 2 * MARGIN - gap * (n - 1)) / n
    if pdf.get_y() + block.height_mm + 12 > pdf.h - 20:
        pdf.add_page()
    pdf.ln(3)
    y = pdf.get_y()
    pdf.set_font("cjk", size=8.5)
    for i, label in enumerate(block.labels):
        x = MARGIN + i * (w + gap)
        pdf.rect(x, y, w, block.height_mm)
        pdf.set_xy(x + 1.5, y + 1.5)
        pdf.multi_cell(w - 3, 4, label)
    pdf.set_xy(MARGIN, y + block.height_mm + 2)
