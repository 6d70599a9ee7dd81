"""PDF render time and memory per receipt: Tillroll's path (view model + Typst) against the
bare Typst engine on the same template and JSON, and the other candidate engines (reportlab,
WeasyPrint on our HTML template) rendering the same receipt.

    .venv/bin/python bench/documents.py            # every engine, both receipt sizes
    .venv/bin/python bench/documents.py --quick    # fewer renders

Each engine runs in its own process (so peak RSS is its own), renders a few warm-up
documents, then N documents with different data each time (Typst memoizes identical input),
and reports renders/s, p50/p99 and the peak RSS. reportlab and WeasyPrint are not runtime
dependencies: `pip install -e ".[bench]"` (and Debian's `libharfbuzz-subset0`, without
which WeasyPrint subsets fonts in Python, 4-5x slower) to compare.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tillroll.branches.schemas import Branch
from tillroll.customers.schemas import CustomerSummary, LoyaltyStatus
from tillroll.documents import render as documents_render
from tillroll.documents.render import FONT_DIRS, TEMPLATES
from tillroll.documents.schemas import Branding
from tillroll.documents.view import ReceiptView, build
from tillroll.kit.address import Address
from tillroll.receipts.schemas import Employee, Line, Payment, Receipt, TaxLine
from tillroll.wallets.campaign_schemas import Contribution, ReceiptWallet

ENGINES = ("tillroll", "typst-bare", "reportlab", "weasyprint")
NAMES = ["Ελληνικός καφές", "Пельмени домашние", "Käse & Brötchen", "抹茶ラテ 绿茶", "Croissant"]
NOW = datetime(2026, 3, 14, 14, 9, 26, tzinfo=UTC)
WARM = (10_000, 10_001, 10_002)  # warm-up renders, data unlike the measured ones


def receipt(lines: int, i: int) -> Receipt:
    """A receipt of `lines` lines; `i` varies every text so no engine can reuse a result."""
    items = [
        Line(line_no=n + 1, name=f"{NAMES[n % 5]} {i}-{n}", quantity="2", unit="item",
             unit_price=str(100 + n), total=2 * (100 + n), sku=f"SKU-{n}", barcode=None,
             product_id=None, description=None, category=None, original_price=None,
             discount=0, vouchers=0, tax_rate="0.09", metadata=None, return_of=None)
        for n in range(lines)
    ]  # fmt: skip
    total = sum(x.total for x in items)
    tax = total * 9 // 109
    return Receipt(
        id=uuid.uuid4(), number=1000 + i, external_id=f"T1-{i:06d}", type="in_store",
        issued_at=NOW, currency="EUR", prices_include_tax=True, branch=None,
        customer=CustomerSummary(id=uuid.uuid4(), number=3, external_id=None,
                                 member_number=f"M-{i}"),
        employee=Employee(code="7", name="Anouk"), lines=items,
        taxes=[TaxLine(rate="0.09", taxable_amount=total - tax, tax_amount=tax)],
        payments=[Payment(method="card", amount=total, card_brand="Visa", card_last4="4242",
                          reference=None)],
        discounts=[], subtotal=total, tax_total=tax, shipping_total=0, discount_total=0,
        total=total, notes="Thank you", metadata=None, is_return=False, created_at=NOW,
        claimed_at=None, monetary_wallet=_wallet(f"Café Bucks {i}", total // 20),
        points_wallet=_wallet(f"Points {i}", total // 100),
    )  # fmt: skip


def _wallet(title: str, earned: int) -> ReceiptWallet:
    """What a receipt earned by one campaign: the documents' wallet section."""
    return ReceiptWallet(
        wallet_id=uuid.uuid4(), total=earned + 1234, title=title,
        contributions=[Contribution(amount=earned, campaign_id=uuid.uuid4(),
                                    campaign_title="5% back")],
    )  # fmt: skip


LOYALTY = LoyaltyStatus(
    programme_id=uuid.uuid4(), programme_number=1, level=2, name="Silver", description=None,
    points_earned=120, points_to_proceed_next_level=180, points_to_remain_current_level=0,
    maintenance_points_level=50, last_review_date=None, next_review_date=NOW, date_reached=NOW,
)  # fmt: skip


BRANCH = Branch(
    id=uuid.uuid4(), number=1, code="AMS", name="Amsterdam Centraal",
    address=Address(lines=["Stationsplein 1"], city="Amsterdam", postal_code="1012 AB"),
    phone=None, email=None, website=None, timezone="Europe/Amsterdam", created_at=NOW,
    updated_at=NOW,
)  # fmt: skip


def view(lines: int, i: int) -> ReceiptView:
    return build(
        receipt(lines, i), merchant="Café Tillroll", branch=BRANCH, branding=Branding(),
        lang="de", size="a4", page_url=f"https://shop.example/p/receipts/{i:096d}",
        loyalty=LOYALTY,
    )  # fmt: skip


def tillroll(lines: int, _: int) -> Callable[[int], bytes]:
    """The product's path: the view model built from the receipt, then Typst."""
    return lambda i: documents_render.pdf(view(lines, i))


def typst_bare(lines: int, n: int) -> Callable[[int], bytes]:
    """The engine alone: the same template, its JSON input prepared beforehand."""
    import msgspec
    import typst

    compiler = typst.Compiler(
        str(TEMPLATES / "receipt.typ"), font_paths=FONT_DIRS, ignore_system_fonts=True
    )
    inputs = {i: msgspec.json.encode(view(lines, i)).decode() for i in [*range(n), *WARM]}

    def run(i: int) -> bytes:
        out = compiler.compile(format="pdf", sys_inputs={"data": inputs[i]})
        assert isinstance(out, bytes)
        return out

    return run


def reportlab(lines: int, _: int) -> Callable[[int], bytes]:
    """reportlab platypus: the same view model as a table, its own QR widget."""
    import io

    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    pdfmetrics.registerFont(TTFont("DejaVu", f"{FONT_DIRS[0]}/DejaVuSans.ttf"))
    style = ParagraphStyle("p", fontName="DejaVu", fontSize=10)

    def run(i: int) -> bytes:
        v = view(lines, i)
        rows = [[Paragraph(f"{x.name}<br/>{x.quantity} {x.unit_price}", style), x.total]
                for x in v.lines]  # fmt: skip
        rows += [[a.label, a.amount] for a in v.amounts] + [[v.labels["total"], v.total]]
        qr = Drawing(90, 90)
        qr.add(QrCodeWidget(v.page_url, barWidth=90, barHeight=90))
        story = [Paragraph(v.merchant, style), Paragraph(v.title, style),
                 Paragraph(v.issued, style), Table(rows, colWidths=[380, 100],
                 style=[("FONTNAME", (0, 0), (-1, -1), "DejaVu")]), qr]  # fmt: skip
        out = io.BytesIO()
        SimpleDocTemplate(out, pagesize=A4).build(story)
        return out.getvalue()

    return run


def weasyprint(lines: int, _: int) -> Callable[[int], bytes]:
    """WeasyPrint: our own HTML template of the same view, printed to PDF."""
    from weasyprint import HTML

    def run(i: int) -> bytes:
        out: bytes | None = HTML(string=documents_render.html(view(lines, i)).decode()).write_pdf()
        assert out is not None
        return out

    return run


def measure(engine: str, lines: int, n: int) -> dict[str, float]:
    render = {"tillroll": tillroll, "typst-bare": typst_bare, "reportlab": reportlab,
              "weasyprint": weasyprint}[engine](lines, n)  # fmt: skip
    for i in WARM:
        render(i)
    rss_warm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        render(i)
        times.append((time.perf_counter() - t) * 1000)
    elapsed = time.perf_counter() - started
    times.sort()
    return {
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "per_s": n / elapsed,
        "rss_warm": rss_warm,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "n": n,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--engine", choices=ENGINES)
    p.add_argument("--lines", type=int, default=5)
    p.add_argument("-n", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3, help="processes per figure (medians)")
    p.add_argument("--quick", action="store_true", help="a tenth of the renders")
    args = p.parse_args()
    if args.engine:  # one figure, in this process
        print(json.dumps(measure(args.engine, args.lines, args.n)))
        return
    for lines in (5, 200):
        print(f"\nPDF, A4, {lines} lines ({'one page' if lines == 5 else 'several pages'}),"
              f" medians of {args.runs} runs")  # fmt: skip
        print(f"{'engine':<12} {'renders/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12}"
              f" {'p50 / tillroll':>15}  p50 of each run")  # fmt: skip
        base = None
        for engine in ENGINES:
            n = max(COUNTS[engine, lines] // (10 if args.quick else 1), 5)
            runs = [_run(engine, lines, n) for _ in range(args.runs)]
            r = {k: statistics.median(x[k] for x in runs) for k in ("p50", "p99", "per_s")}
            base = base or r["p50"]
            each = ", ".join(f"{x['p50']:.1f}" for x in runs)
            print(f"{engine:<12} {r['per_s']:>9.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
                  f"{max(x['rss_peak'] for x in runs):>12.0f} {r['p50'] / base:>14.2f}x"
                  f"  {each} (n={n})")  # fmt: skip


COUNTS = {
    ("tillroll", 5): 1000, ("typst-bare", 5): 300, ("reportlab", 5): 200, ("weasyprint", 5): 30,
    ("tillroll", 200): 50, ("typst-bare", 200): 50, ("reportlab", 200): 20,
    ("weasyprint", 200): 5,
}  # fmt: skip
"""Renders per run: 1,000 one-page receipts for the peak RSS over 1,000; fewer of the
slow engines and sizes, to keep a run short on a shared machine."""


def _run(engine: str, lines: int, n: int) -> dict[str, float]:
    args = [sys.executable, str(Path(__file__)), "--engine", engine, "--lines", str(lines)]
    done = subprocess.run([*args, "-n", str(n)], capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    main()
