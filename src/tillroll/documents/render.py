"""The two renderings of a view: HTML (Jinja2) and PDF (Typst), each under a time limit."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import jinja2
import msgspec
import typst

from tillroll.documents.value_view import ValueReceiptView
from tillroll.documents.view import ReceiptView
from tillroll.errors import TillrollError

Format = Literal["html", "pdf"]
TEMPLATES = Path(__file__).parent / "templates"
FONT_DIRS = [
    "/usr/share/fonts/truetype/dejavu",  # Latin, Greek, Cyrillic, Arabic (fonts-dejavu-core)
    "/usr/share/fonts/truetype/wqy",  # Chinese, Japanese, Korean (fonts-wqy-microhei)
]
"""Installed by `make install` (Debian packages); the PDF embeds subsets of them."""


class RenderFailed(TillrollError):
    status = 503
    code = "render_failed"
    title = "Rendering failed"


_loader = jinja2.FileSystemLoader(TEMPLATES)
_html = jinja2.Environment(
    loader=_loader, autoescape=True, undefined=jinja2.StrictUndefined
).get_template("receipt.html")
_text = jinja2.Environment(
    loader=_loader, autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
).get_template("receipt.txt")


def html(view: ReceiptView) -> bytes:
    logo = base64.b64encode(view.logo_svg.encode()).decode() if view.logo_svg else ""
    return _html.render(v=view, qr=view.qr_svg, logo_b64=logo).encode()


def text(view: ReceiptView) -> str:
    """The plain-text part of the receipt's e-mail."""
    return _text.render(v=view)


class _Typst:
    """One compiler for the process (fonts are loaded once); Typst runs one document at a
    time, in a worker thread, so the event loop keeps serving."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compilers: dict[str, typst.Compiler] = {}

    def __call__(self, view: ReceiptView) -> bytes:
        return self._compile("receipt.typ", data=msgspec.json.encode(view).decode())

    def value_receipt(self, view: ValueReceiptView) -> bytes:
        return self._compile("value_receipt.typ", data=msgspec.json.encode(view).decode())

    def check_logo(self, svg: str) -> str | None:
        """Why Typst cannot draw `svg` (None: it can)."""
        if "<!DOCTYPE" in svg or "<!ENTITY" in svg:
            return "must not declare a DOCTYPE or entities"
        try:
            self._compile("logo.typ", logo=svg)
        except typst.TypstError as exc:
            return f"is not an SVG image that can be drawn ({exc})"
        return None

    def _compile(self, template: str, **inputs: str) -> bytes:
        with self._lock:
            if template not in self._compilers:
                self._compilers[template] = typst.Compiler(
                    str(TEMPLATES / template), font_paths=FONT_DIRS, ignore_system_fonts=True
                )
            out = self._compilers[template].compile(format="pdf", sys_inputs=inputs)
        assert isinstance(out, bytes)
        return out


pdf = _Typst()
RENDERERS: dict[Format, Callable[[ReceiptView], bytes]] = {"html": html, "pdf": pdf}


async def render(view: ReceiptView, fmt: Format, timeout: float) -> bytes:
    """`view` as `fmt`; a render that fails or takes longer than `timeout` seconds is a 503
    (the thread finishes on its own; its result is dropped)."""
    return await bounded(lambda: RENDERERS[fmt](view), fmt.upper(), timeout)


async def bounded(work: Callable[[], bytes], what: str, timeout: float) -> bytes:
    """`work()` in a thread under `timeout` seconds; failing or late, a 503 naming `what`."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(work), timeout)
    except TimeoutError:
        raise RenderFailed(
            f"Rendering the {what} took longer than {timeout:g} s; retry later.",
            headers={"Retry-After": "5"},
        ) from None
    except Exception as exc:  # a template or engine error: logged by the caller's handler
        raise RenderFailed(f"The {what} could not be rendered: {exc}") from exc
