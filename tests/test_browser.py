"""The rendered book in a real browser: every page of the table of contents in headless Chromium.

The HTML build passes with -W whether or not a reader can see the maths, so this module
opens `_build/html` the way a reader does. A thread serves it on 127.0.0.1 and Debian's
`chromium`, driven by playwright, loads each page at 1280 px and at 390 px. On every load:

- network: no request fails or answers >= 400, and none leaves localhost;
- console: no console error and no uncaught page error;
- math: MathJax 3 finished typesetting with zero math errors, every math element was
  typeset, and the TeX font (MJXTEX) is the one loaded and used;
- content: every <img> decodes (naturalWidth > 0); the first answer dropdown opens;
  prev/next links follow the table of contents; a notebook's .ipynb download is served;
- layout: the page never scrolls sideways (wide maths scrolls inside its own box).

Once: the search page finds a chapter. `make test` builds the book before pytest runs
and installs Chromium when it is missing. Set RNNBOOK_SHOTS=<dir> to save a full-page
screenshot of every page at both widths.
"""

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
WIDTHS = (1280, 390)
SHOTS = os.environ.get("RNNBOOK_SHOTS")


def chromium_path() -> str | None:
    """Debian's Chromium (playwright's own browser download cannot work offline)."""
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


def toc_pages() -> list[str]:
    """Every document of `_toc.yml` in reading order, as paths like `book/intro`."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            pages += _with_sections(chapter)
    return pages


def _with_sections(entry: dict) -> list[str]:
    """An entry's file, then its nested sections (a lab under its chapter), depth first."""
    return [entry["file"]] + [p for sub in entry.get("sections", []) for p in _with_sections(sub)]


PAGES = toc_pages()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server():
    """Serve _build/html on 127.0.0.1 at a free port; yield the base URL."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML} has no index.html: build the book first (make book)", pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module; fails (never skips) when it cannot start."""
    from playwright.sync_api import Error, sync_playwright

    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "Chromium not found: `make test` installs it (apt-get install chromium), "
            "or set CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, headless=True)
        except Error as exc:
            pytest.fail(f"Chromium at {executable} did not start:\n{exc}", pytrace=False)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def contexts(browser):
    """One browser context per width, shared by the pages so that MathJax and the theme's
    assets come from the HTTP cache after the first page. Every page still loads as on a
    first visit: local and session storage (the theme keeps its colour mode there) are
    cleared before any of its scripts run."""
    made = {}
    try:
        for width in WIDTHS:
            made[width] = browser.new_context(viewport={"width": width, "height": 900})
            made[width].add_init_script(
                "try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}"
            )
        yield made
    finally:
        for context in made.values():
            context.close()


class PageLog:
    """What a page did on the network and the console while it loaded and was checked."""

    def __init__(self, page, base: str):
        self.problems: list[str] = []
        self.base_host = urlsplit(base).hostname
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} ({r.failure})"))
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _request(self, request):
        url = urlsplit(request.url)
        if url.scheme not in ("data", "blob") and url.hostname != self.base_host:
            self.problems.append(f"request leaves localhost: {request.url}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location})")


# After MathJax's startup promise: how many math errors, how many math elements were not
# typeset, and which font family a typeset character uses and whether a TeX font loaded.
MATH_JS = """async () => {
    if (window.MathJax && MathJax.Hub && MathJax.Hub.Queue) {  // MathJax 2: say so, and count
        await new Promise(done => MathJax.Hub.Queue(done));
        const text = document.body.innerText;
        return {mathjax: true, version: MathJax.version, count: 0, untypeset: [], errors: [],
                processing: (text.match(/Math Processing Error/g) || []).length};
    }
    if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
        return {mathjax: false};
    }
    await MathJax.startup.promise;
    await document.fonts.ready;
    const math = [...document.querySelectorAll('.math, span.math, div.math')];
    // Display maths wider than the column must scroll inside its own box.
    const unscrollable = [...document.querySelectorAll('mjx-container[display="true"]')]
        .filter(c => c.scrollWidth > c.clientWidth + 1
                && !['auto', 'scroll'].includes(getComputedStyle(c).overflowX)).length;
    const untypeset = math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent);
    const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
        .map(e => e.getAttribute('data-mjx-error') || e.textContent);
    const text = document.body.innerText;
    const processing = (text.match(/Math Processing Error/g) || []).length;
    const char = document.querySelector('mjx-container mjx-c');
    const family = char ? getComputedStyle(char).fontFamily : null;
    const loaded = [...document.fonts]
        .filter(f => f.family.replace(/"/g, '').startsWith('MJXTEX') && f.status === 'loaded')
        .map(f => f.family);
    return {mathjax: true, version: MathJax.version, count: math.length,
            untypeset, unscrollable, errors, processing, family, loaded};
}"""

IMAGES_JS = """async () => {
    const bad = [];
    for (const img of document.images) {
        img.loading = 'eager';
        try { await img.decode(); } catch (e) { /* reported below */ }
        if (!(img.complete && img.naturalWidth > 0)) bad.push(img.getAttribute('src'));
    }
    return bad;
}"""

OVERFLOW_JS = """() => {
    const root = document.documentElement, width = root.clientWidth;
    // Name what sticks out past the right edge and is not inside a box that scrolls or clips.
    const clipped = el => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true;
        }
        return false;
    };
    const wide = [];
    if (root.scrollWidth > width) {
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && r.width > 0 && !clipped(el)) {
                const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
                wide.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ${text}`);
            }
        }
    }
    return {scrollWidth: root.scrollWidth, clientWidth: width, wide: wide.slice(0, 5)};
}"""


def check_math(page, problems: list[str]) -> None:
    math = page.evaluate(MATH_JS)
    if not math["mathjax"]:
        if page.query_selector(".math"):
            problems.append("the page has math but MathJax 3 did not start")
        return
    if not math["version"].startswith("3."):
        problems.append(f"MathJax {math['version']}, expected 3.x")
    if math["errors"] or math["processing"]:
        problems.append(
            f"{len(math['errors']) + math['processing']} math errors: {math['errors'][:5]}"
        )
    if math.get("unscrollable"):
        problems.append(f"{math['unscrollable']} wide display equations do not scroll")
    if math["untypeset"]:
        problems.append(f"{len(math['untypeset'])} math not typeset: {math['untypeset'][:3]}")
    if math["count"]:
        if not (math["family"] and "MJXTEX" in math["family"]):
            problems.append(f"math drawn in font {math['family']!r}, not MathJax's TeX font")
        if not math["loaded"]:
            problems.append("no MathJax TeX font (MJXTEX*) was loaded")


def check_layout(page, width: int, problems: list[str]) -> None:
    layout = page.evaluate(OVERFLOW_JS)
    if layout["scrollWidth"] > layout["clientWidth"]:
        problems.append(
            f"page scrolls sideways at {width} px: scrollWidth {layout['scrollWidth']} > "
            f"{layout['clientWidth']}; sticking out: {layout['wide']}"
        )


def check_dropdown(page, problems: list[str]) -> None:
    """The first answer dropdown (sphinx-design <details>) opens on a click."""
    summary = page.query_selector("details.sd-dropdown > summary")
    if summary is None:
        return
    summary.scroll_into_view_if_needed()
    summary.click()
    opened = page.evaluate(
        "() => { const d = document.querySelector('details.sd-dropdown');"
        " const body = d.querySelector('.sd-summary-content, .sd-card-body');"
        " return d.open && body !== null && body.getBoundingClientRect().height > 0; }"
    )
    if not opened:
        problems.append("the first answer dropdown did not open on click")


def check_prev_next(page, doc: str, problems: list[str]) -> None:
    """The footer's previous/next links follow the table of contents."""
    index = PAGES.index(doc)
    expected = {
        "a.left-prev": PAGES[index - 1] if index > 0 else None,
        "a.right-next": PAGES[index + 1] if index + 1 < len(PAGES) else None,
    }
    for selector, want in expected.items():
        link = page.query_selector(f"footer.prev-next-footer {selector}")
        href = link.evaluate("a => a.href") if link else None
        got = urlsplit(href).path.strip("/").removesuffix(".html") if href else None
        if got != want:
            problems.append(f"{selector} goes to {got!r}, expected {want!r}")


def check_download(page, doc: str, problems: list[str]) -> None:
    if not (ROOT / f"{doc}.ipynb").is_file():
        return
    link = page.query_selector("a.btn-download-source-button")
    href = link.evaluate("a => a.href") if link else None
    if href is None or not href.endswith(".ipynb"):
        problems.append(f"no .ipynb download link (got {href!r})")
        return
    status = page.evaluate("async url => (await fetch(url)).status", href)
    if status != 200:
        problems.append(f".ipynb download {href} answered {status}")


@pytest.mark.parametrize("doc", PAGES)
def test_page(doc, server, contexts):
    problems: list[str] = []
    for width, context in contexts.items():
        page = context.new_page()
        try:
            log = PageLog(page, server)
            page.goto(server + f"{doc}.html", wait_until="load")
            found: list[str] = []
            check_math(page, found)
            found += [f"image not decoded: {src}" for src in page.evaluate(IMAGES_JS)]
            check_layout(page, width, found)
            if width == WIDTHS[0]:
                check_prev_next(page, doc, found)
                check_download(page, doc, found)
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                name = f"{doc.replace('/', '_')}_{width}.png"
                page.screenshot(path=str(Path(SHOTS) / name), full_page=True)
            if width == WIDTHS[0]:
                check_dropdown(page, found)
            page.wait_for_timeout(100)  # let late requests and console messages arrive
            problems += [f"{width} px: {p}" for p in found + log.problems]
        finally:
            page.close()
    assert not problems, f"{doc}:\n  " + "\n  ".join(problems)


def test_search_finds_a_chapter(server, contexts):
    """The search page lists the BPTT chapter, and its summaries show no TeX delimiters."""
    page = contexts[WIDTHS[0]].new_page()
    try:
        log = PageLog(page, server)
        page.goto(server + "search.html?q=backpropagation", wait_until="load")
        page.wait_for_function(
            "() => /finished|did not match/i.test("
            "document.querySelector('#search-results .search-summary')?.textContent || '')"
        )
        # Summaries arrive one fetch per result; wait until each result has its summary.
        page.wait_for_function(
            "() => { const items = document.querySelectorAll('#search-results ul.search li');"
            " return [...items].every(li => li.querySelector('p.context')); }"
        )
        results = page.eval_on_selector_all(
            "#search-results ul.search li",
            "items => items.map(li => [li.querySelector('a').href,"
            " (li.querySelector('p.context') || {}).textContent || ''])",
        )
        links = [link for link, _ in results]
        assert any(urlsplit(link).path.endswith("/book/03_bptt.html") for link in links), links
        raw_tex = [summary for _, summary in results if "\\(" in summary]
        assert not raw_tex, f"search summaries show raw TeX: {raw_tex[:3]}"
        assert not log.problems, log.problems
    finally:
        page.close()
