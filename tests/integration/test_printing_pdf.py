"""PDF labels: one label page and an A4 sheet; barcodes decode after rasterising (pdfium)."""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
import zxingcpp

from label_printer import LabelData, label_pdf, sheet_pdf


def make_label(specimen_id: str, **overrides: object) -> LabelData:
    values: dict[str, object] = dict(
        family_name="Дмитриев", given_name="Zoë", date_of_birth=dt.date(1957, 3, 4),
        nhs_number="9434765919", specimen_id=specimen_id, container="Serum gel",
        tests=("U&E", "LFT"), site_name="Riverside", reprint=True)
    values.update(overrides)
    return LabelData(**values)  # type: ignore[arg-type]


def decode_pages(pdf: bytes, dpi: int) -> list[tuple[tuple[float, float], list[str]]]:
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in doc:
            image = page.render(scale=dpi / 72).to_pil()
            size = page.get_size()
            pages.append((size, sorted(r.text for r in zxingcpp.read_barcodes(image)
                                       if r.format == zxingcpp.BarcodeFormat.Code128)))
            page.close()
        return pages
    finally:
        doc.close()


def test_single_label_pdf_is_the_stock_size_and_decodes():
    pdf = label_pdf(make_label("9911230001"))
    assert pdf.startswith(b"%PDF")
    [(size, texts)] = decode_pages(pdf, 300)
    assert round(size[0]) == 142 and round(size[1]) == 71  # 50 x 25 mm in points
    assert texts == ["9911230001"]


def test_a4_sheet_holds_30_labels_a_page_in_order():
    ids = [f"26112300{i:02d}" for i in range(1, 33)]
    pages = decode_pages(sheet_pdf([make_label(i) for i in ids]), 200)
    assert len(pages) == 2
    assert [round(v) for v in pages[0][0]] == [595, 842]
    assert pages[0][1] == sorted(ids[:30]) and pages[1][1] == sorted(ids[30:])
