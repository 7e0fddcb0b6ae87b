"""The pack as a document: self-contained HTML laid out for A4, the PDF made from it, and a check that nothing
runs past the page's right margin."""

from __future__ import annotations

import base64
import html as html_lib

import pandas as pd

#: Page size and margins of the PDF (CSS ``@page``).
PAGE_CSS = "@page{size:A4;margin:14mm 14mm 16mm 14mm;@bottom-right{content:'page ' counter(page) ' of ' " \
           "counter(pages);font-size:8pt;color:#555}}"

_STYLE = PAGE_CSS + """
body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:9pt;line-height:1.35;color:#111;margin:0 auto;
 max-width:60em}
h1{font-size:15pt;margin:0 0 .2em}h2{font-size:11.5pt;margin:1.1em 0 .4em;border-bottom:1px solid #999}
h3{font-size:10pt;margin:.9em 0 .3em}
.sub{color:#444;margin:0 0 .6em}
.banner{padding:.45em .7em;margin:.5em 0;border-left:5px solid;font-weight:bold}
.simulated{background:#fff3c4;border-color:#b58900}.failed{background:#fde2cf;border-color:#c06000}
.facts{width:100%;border-collapse:collapse;margin:.3em 0 .6em}
.facts th{width:28%;text-align:left;font-weight:normal;color:#444;padding:.1em .4em .1em 0;vertical-align:top}
.facts td{padding:.1em 0;vertical-align:top}
ul.summary{padding-left:1.2em;margin:.3em 0}ul.summary li{margin:.2em 0}
table.data{border-collapse:collapse;width:100%;table-layout:auto;font-size:8pt;margin:.2em 0 .8em;
 page-break-inside:auto}
table.data th,table.data td{border:1px solid #bbb;padding:.15em .35em;vertical-align:top;
 overflow-wrap:anywhere;word-break:break-word}
table.data th{background:#eef1f5;text-align:left}
table.data td.num{text-align:right;white-space:nowrap}
table.data tr{page-break-inside:avoid}
figure{margin:.4em 0 .8em;page-break-inside:avoid}figure img{width:100%}
figcaption{font-size:8pt;color:#444}
.hash{font-family:'DejaVu Sans Mono',monospace;font-size:7pt;overflow-wrap:anywhere}
.appendix{margin-top:1.2em}h2,h3{page-break-after:avoid}
.note{font-size:8.5pt;color:#333}
.stamp{font-size:7.5pt;color:#555;overflow-wrap:anywhere}
"""


def _esc(text: object) -> str:
    return html_lib.escape("" if text is None else str(text))


def table_html(frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> str:
    """A display table as HTML: escaped cells, right-aligned numbers, missing values as a dash."""
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, values):
            missing = value is None or (not isinstance(value, str) and pd.isna(value))
            css = ' class="num"' if col in numeric or (not missing and isinstance(value, (int, float))
                                                       and not isinstance(value, bool)) else ""
            cells.append(f"<td{css}>{'–' if missing else _esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def document(pack) -> str:
    """The pack as one self-contained HTML page (figures embedded as PNG)."""
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           f"<title>Evidence pack: inspection {_esc(pack.inspection_id)}</title><style>{_STYLE}</style></head><body>",
           f"<h1>Evidence pack: inspection {_esc(pack.inspection_id)}</h1>",
           f"<p class='sub'>{_esc(pack.subtitle)}</p>"]
    for banner, css in pack.banners:
        out.append(f"<p class='banner {css}'>{_esc(banner)}</p>")
    out.append("<table class='facts'>" + "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>"
                                                 for k, v in pack.facts) + "</table>")
    out.append("<h2>What the evidence says</h2><ul class='summary'>")
    out += [f"<li>{_esc(s)}</li>" for s in pack.sentences]
    out.append("</ul>")
    for name, caption in pack.captions.items():
        if name in pack.figures:
            png = base64.b64encode(pack.figures[name]).decode()
            out.append(f"<figure><img alt='{_esc(caption)}' src='data:image/png;base64,{png}'>"
                       f"<figcaption>{_esc(caption)}</figcaption></figure>")
    if pack.tables:
        out.append("<h2>The evidence in tables</h2>")
        for name, frame in pack.tables.items():
            out.append(f"<h3>{_esc(name)}</h3>{table_html(frame)}")
    out.append("<h2>How to read this pack</h2>")
    out += [f"<p class='note'>{_esc(p)}</p>" for p in pack.reading_notes]
    out.append("<div class='appendix'><h2>Appendix: technical detail</h2>")
    for name, frame in pack.appendix.items():
        out.append(f"<h3>{_esc(name)}</h3>{table_html(frame)}")
    if pack.source.files:
        out.append("<h3>Files read (SHA-256)</h3><table class='data'><thead><tr><th>File</th><th>SHA-256</th></tr>"
                   "</thead><tbody>" + "".join(f"<tr><td>{_esc(n)}</td><td class='hash'>{_esc(h)}</td></tr>"
                                               for n, h in pack.source.files) + "</tbody></table>")
    out.append("<p class='stamp'>" + "<br>".join(f"{_esc(k)}: {_esc(v)}" for k, v in pack.stamp.items()) + "</p>")
    out.append("</div></body></html>")
    return "\n".join(out)


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of an HTML page (WeasyPrint; needs the system Pango library)."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # Pango missing
        raise RuntimeError("PDF export needs the Pango library (Debian: apt-get install libpango-1.0-0 "
                           f"libpangoft2-1.0-0); the HTML pack is complete without it ({exc})") from exc
    return HTML(string=html).write_pdf()


def overflowing_boxes(html: str, tolerance: float = 0.5) -> list[dict]:
    """Boxes of the laid-out PDF that reach past the page's right margin (an empty list: everything fits).

    Each entry: ``page`` (1-based), ``box`` (its type, e.g. ``TableBox``), ``right`` and ``limit`` (CSS px)
    and ``text`` (the start of its text). Measured on WeasyPrint's layout, so a table cut at the page edge
    in the PDF shows up here.

    Examples
    --------
    >>> wide = "<table><tr>" + "<td>" + "x" * 400 + "</td>" + "</tr></table>"
    >>> "TableBox" in {b["box"] for b in overflowing_boxes(f"<style>{PAGE_CSS}</style>" + wide)}
    True
    >>> overflowing_boxes(f"<style>{PAGE_CSS}</style><table><tr><td>short</td></tr></table>")
    []
    """
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    found = []
    for number, page in enumerate(HTML(string=html).render().pages, start=1):
        root = page._page_box
        limit = root.content_box_x() + root.width
        inside = [box for child in root.children if not isinstance(child, boxes.MarginBox)
                  for box in child.descendants()]  # the page-number footer lives in the margin by design
        for box in inside:
            if not hasattr(box, "border_box_x"):
                continue
            right = box.border_box_x() + box.border_width()
            if right > limit + tolerance:
                text = getattr(box, "text", "") or ""
                found.append({"page": number, "box": type(box).__name__, "right": round(right, 1),
                              "limit": round(limit, 1), "text": text[:40]})
    return found
