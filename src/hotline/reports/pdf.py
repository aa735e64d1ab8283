"""A report as a PDF (A4) with an embedded Chinese font: title, headline figures, findings, then
each table with its chart drawn by reportlab's own chart library (no browser, no download)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from hotline.reports.build import generated_label
from hotline.reports.content import Report, Table
from hotline.reports.fonts import register_cjk_font

PALETTE = [colors.HexColor(c) for c in ("#2f6db3", "#e07b39", "#3a9a5b", "#8e5ea2", "#c0392b")]
CONTENT_WIDTH = A4[0] - 36 * mm
MAX_BARS = 31  # a month of days fits; longer tables are drawn from their first rows


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1, spaceAfter=4),
        "sub": ParagraphStyle("sub", parent=base, fontSize=9, textColor=colors.grey, alignment=1),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=20, spaceBefore=10, spaceAfter=4),
        "body": base,
        "note": ParagraphStyle("note", parent=base, fontSize=8, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12),
    }


def _chart(table: Table, font: str) -> Drawing | None:
    cats, series = table.series()
    if not cats or not any(any(v for v in values) for _, values in series):
        return None
    cats, series = cats[:MAX_BARS], [(n, v[:MAX_BARS]) for n, v in series]
    height = 62 * mm
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalLineChart() if table.chart and table.chart.kind == "line" else VerticalBarChart()
    chart.x, chart.y = 12 * mm, 16 * mm
    chart.width, chart.height = CONTENT_WIDTH - 20 * mm, height - 26 * mm
    chart.data = [tuple(values) for _, values in series]
    chart.categoryAxis.categoryNames = cats
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6 if len(cats) > 12 else 8
    if len(cats) > 8:
        chart.categoryAxis.labels.angle = 45
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    for i in range(len(series)):
        if isinstance(chart, VerticalBarChart):
            chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
            chart.bars[i].strokeColor = None
        else:
            chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
            chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = CONTENT_WIDTH - 40 * mm, height - 4 * mm
        legend.fontName, legend.fontSize = font, 8
        legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, (name, _) in enumerate(series)]
        legend.columnMaximum = 1
        legend.deltax = 30 * mm
        legend.alignment = "right"
        drawing.add(legend)
    return drawing


def _grid(rows: list[list[str]], font: str, styles: dict[str, ParagraphStyle],
          widths: list[float] | None = None) -> PdfTable:
    data = [[Paragraph(escape(c), styles["cell"]) for c in row] for row in rows]
    table = PdfTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde7f3")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c4d0")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
    ]))
    return table


def report_pdf(report: Report) -> bytes:
    font, _embedded = register_cjk_font()
    styles = _styles(font)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=report.title, author="hotline12345")
    story: list = [
        Paragraph(escape(report.title), styles["title"]),
        Paragraph(escape(f"统计范围：{report.scope}　　生成时间：{generated_label(report.generated_at)}"),
                  styles["sub"]),
        Spacer(1, 6 * mm),
        Paragraph("一、总体情况", styles["h2"]),
    ]
    figs = [[f.label, f.value, f.hint] for f in report.figures]
    story.append(_grid([["指标", "数值", "说明"], *figs], font, styles,
                       [CONTENT_WIDTH * 0.3, CONTENT_WIDTH * 0.25, CONTENT_WIDTH * 0.45]))
    story.append(Paragraph("二、分析摘要", styles["h2"]))
    story.extend(Paragraph(escape(f"{i}. {line}"), styles["body"]) for i, line in enumerate(report.summary, start=1))
    story.append(Paragraph("三、分项统计", styles["h2"]))
    for index, table in enumerate(report.tables, start=1):
        block: list = [Paragraph(escape(f"（{index}）{table.title}"), styles["h2"])]
        if drawing := _chart(table, font):
            block.append(drawing)
        block.append(Spacer(1, 2 * mm))
        story.append(KeepTogether(block))
        if table.rows:
            rows = [table.columns, *[["" if v is None else str(v) for v in r] for r in table.rows]]
            story.append(_grid(rows, font, styles))
        else:
            story.append(Paragraph("本期无数据。", styles["body"]))
        if table.note:
            story.append(Paragraph(escape(f"注：{table.note}"), styles["note"]))
    doc.build(story)
    return buf.getvalue()
