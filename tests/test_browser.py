"""Browser tests of the built book: Playwright (sync API) driving Debian's Chromium.

The real book is built ONCE per test session (``coursekit build`` when the build pipeline is
present, plain ``jupyter-book build`` otherwise) and served from ``_build/html`` by a local
``http.server`` on 127.0.0.1. Every test here is in the xdist group "book", so under
``pytest -n 2 --dist loadgroup`` they all run on one worker and share that single build.

Set ``COURSEKIT_BOOK_HTML=/path/to/_build/html`` to test an existing build instead (fast
iteration on the tests themselves). Screenshots go to ``_build/test-artifacts/``.

The browser is kept offline: any request that leaves 127.0.0.1 is blocked and reported, because
the book must be readable without a network connection.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "_build" / "test-artifacts"

# Chapter pages that end with a self-check quiz (their quiz file sits beside them).
QUIZ_PAGES = [
    "chapters/growth",
    *(f"chapters/domains/{p}" for p in ("data-engineering", "ml-engineering", "data-science",
                                         "ai-research", "applied-ai")),
    *(f"chapters/levels/{p}" for p in ("entry", "mid", "advanced")),
    *(f"chapters/education/{p}" for p in ("degrees", "bootcamps-certifications", "technical-skills",
                                           "non-technical-skills")),
    *(f"chapters/trends/{p}" for p in ("generative-ai", "ethics-governance", "edge-ai", "cross-disciplinary")),
    "chapters/roadmap/index",
]
QUIZ_TEST_PAGE = "chapters/domains/data-engineering"
DOWNLOAD_PAGE = "chapters/domains/project-digits-classifier"
# Pages dense with formulas (inline and display, aligned environments, \text, \lVert).
MATHS_PAGES = ["chapters/domains/project-gradient-descent", "chapters/domains/project-neural-network",
               "chapters/domains/project-ab-test"]

pytestmark = pytest.mark.xdist_group("book")

sync_api = pytest.importorskip("playwright.sync_api")


# ----------------------------------------------------------------------------------------------
# Book build and server (once per session)
# ----------------------------------------------------------------------------------------------

def toc_pages() -> list[str]:
    """Every document of _toc.yml, in reading order (without suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(str(Path(entry["file"]).with_suffix("")) if entry["file"].endswith(
                    (".md", ".ipynb")) else entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    walk(toc.get("sections"))
    return pages


def _build_book(tmp_root: Path) -> Path:
    try:
        from coursekit.book.build import build_book  # the full pipeline (`coursekit build`, `make book`)
    except ImportError:
        build_book = None
    if build_book is not None:
        build_book(ROOT)  # raises BuildError with one-line reasons when anything is broken
        return ROOT / "_build" / "html"
    # Fallback while coursekit.book.build is missing: plain Jupyter Book into a temporary folder.
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book"
    proc = subprocess.run([jb, "build", str(ROOT), "--path-output", str(tmp_root)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"jupyter-book build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return tmp_root / "_build" / "html"


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> Path:
    given = os.environ.get("COURSEKIT_BOOK_HTML")
    if given:
        path = Path(given)
        assert (path / "index.html").is_file(), f"COURSEKIT_BOOK_HTML={given} has no index.html"
        return path
    return _build_book(tmp_path_factory.mktemp("book"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".ipynb": "application/x-ipynb+json", ".js": "text/javascript"}

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def base_url(html_dir):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(_QuietHandler, directory=str(html_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


class PageLog:
    """What a page did while loading: console errors, failed or external requests."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.errors: list[str] = []
        self.external: list[str] = []
        self.bad_responses: list[str] = []

    def is_local(self, url: str) -> bool:
        return url.startswith(self.base_url) or url.startswith(("data:", "blob:", "about:"))

    def on_console(self, message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if url.endswith("/favicon.ico") or (url and not self.is_local(url)):
            return  # the browser's own favicon probe; blocked external loads are reported apart
        self.errors.append(f"console: {message.text}")

    def on_page_error(self, error):
        self.errors.append(f"uncaught: {error}")

    def on_response(self, response):
        if response.status >= 400 and self.is_local(response.url) and not response.url.endswith("/favicon.ico"):
            self.bad_responses.append(f"{response.status} {response.url}")


def new_page(browser, base_url, **context_options):
    """A page in a fresh context that may only reach the local server."""
    context = browser.new_context(**context_options)
    log = PageLog(base_url)

    def route(route_obj):
        if log.is_local(route_obj.request.url):
            route_obj.continue_()
        else:
            log.external.append(route_obj.request.url)
            route_obj.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", log.on_console)
    page.on("pageerror", log.on_page_error)
    page.on("response", log.on_response)
    return page, log


@pytest.fixture()
def page(browser, base_url):
    page, log = new_page(browser, base_url, viewport={"width": 1280, "height": 900})
    page.log = log
    yield page
    page.context.close()


# ----------------------------------------------------------------------------------------------
# One pass over every page of the table of contents
# ----------------------------------------------------------------------------------------------

_IMAGES_JS = """() => Array.from(document.querySelectorAll('main img, article img')).map(i => ({
    src: i.currentSrc || i.src, alt: i.getAttribute('alt'), width: i.naturalWidth, complete: i.complete}))"""
_LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"""


@pytest.fixture(scope="session")
def site(browser, base_url, html_dir):
    """Visit every toc page once; record errors, images and links for the tests below."""
    pages = {}
    page, log = new_page(browser, base_url, viewport={"width": 1280, "height": 900})
    try:
        for doc in toc_pages():
            log.errors.clear(), log.external.clear(), log.bad_responses.clear()
            url = urljoin(base_url, doc + ".html")
            response = page.goto(url, wait_until="load")
            page.wait_for_timeout(150)  # let deferred scripts report their errors
            pages[doc] = {
                "status": response.status if response else None,
                "errors": list(log.errors),
                "external": sorted(set(log.external)),
                "bad_responses": list(log.bad_responses),
                "images": page.evaluate(_IMAGES_JS),
                "links": page.evaluate(_LINKS_JS),
                "url": url,
            }
    finally:
        page.context.close()
    return pages


@functools.lru_cache(maxsize=None)
def _ids_in(path: str) -> frozenset:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return frozenset(re.findall(r'\b(?:id|name)="([^"]+)"', text))


def _broken_link(href: str, base_url: str, html_dir: Path) -> str | None:
    """Why an internal link is broken, or None when it resolves (file, and anchor if any)."""
    if not href.startswith(base_url):
        return None
    parts = urlsplit(href)
    rel = unquote(parts.path)[len(urlsplit(base_url).path):]
    target = html_dir / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
    if not target.is_file():
        return f"missing file {rel or 'index.html'}"
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in _ids_in(str(target)):
        return f"no anchor #{fragment} in {rel}"
    return None


def test_every_toc_page_loads_without_console_errors(site):
    problems = []
    for doc, info in site.items():
        if info["status"] != 200:
            problems.append(f"{doc}: HTTP {info['status']}")
        problems += [f"{doc}: {e}" for e in info["errors"]]
        problems += [f"{doc}: failed resource {r}" for r in info["bad_responses"]]
    assert not problems, "pages with errors:\n" + "\n".join(problems)


def test_pages_fetch_nothing_from_the_internet(site):
    """The book is read offline: every script, style and font must be served from the build."""
    external = sorted({url for info in site.values() for url in info["external"]})
    where = {url: [d for d, i in site.items() if url in i["external"]] for url in external}
    assert not external, "pages load resources from the network:\n" + "\n".join(
        f"{url}  (on {len(pages)} page(s), e.g. {pages[0]})" for url, pages in where.items())


def test_no_broken_internal_links(site, base_url, html_dir):
    problems = set()
    for doc, info in site.items():
        for href in info["links"]:
            reason = _broken_link(href, base_url, html_dir)
            if reason:
                problems.add(f"{doc}: {href} -> {reason}")
    assert not problems, "broken internal links:\n" + "\n".join(sorted(problems))


def test_images_render(site):
    images = [(doc, img) for doc, info in site.items() for img in info["images"]]
    assert images, "the book shows no image at all"
    broken = [f"{doc}: {img['src']}" for doc, img in images if not img["complete"] or img["width"] <= 0]
    assert not broken, "images that did not render:\n" + "\n".join(broken)


def _alt_problem(img) -> str | None:
    alt = (img["alt"] or "").strip()
    if not alt:
        return "no alt text"
    if re.search(r"\.(png|jpe?g|gif|svg|webp)$", alt, re.I) or "_images/" in alt:
        return f"alt text is only a file name ({alt[:60]})"
    return None


def test_images_have_alt_text(site):
    problems = [f"{doc}: {img['src'].rsplit('/', 1)[-1]}: {_alt_problem(img)}"
                for doc, info in site.items() for img in info["images"] if _alt_problem(img)]
    assert not problems, "images without a real alt text (for notebook outputs, set the cell " \
                         "metadata mystnb.image.alt):\n" + "\n".join(problems)


def test_every_chapter_page_has_a_quiz(html_dir):
    missing = []
    for doc in QUIZ_PAGES:
        text = (html_dir / f"{doc}.html").read_text(encoding="utf-8")
        if 'class="ck-quiz"' not in text:
            missing.append(doc)
    assert not missing, "chapter pages without a rendered quiz: " + ", ".join(missing)


# ----------------------------------------------------------------------------------------------
# Interactions
# ----------------------------------------------------------------------------------------------

def test_search_finds_chief_ai_officer(page, base_url):
    page.goto(urljoin(base_url, "index.html"), wait_until="networkidle")
    box = page.locator("input[name=q]:visible").first
    for _attempt in range(5):  # on a busy machine the theme's script may not listen yet
        page.locator("button.search-button-field:visible, button.search-button:visible").first.click()
        try:
            box.wait_for(state="visible", timeout=3000)
            break
        except PlaywrightTimeoutError:
            continue
    box.fill("Chief AI Officer")
    box.press("Enter")
    page.wait_for_url("**/search.html?*")
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for()
    hrefs = [a.get_attribute("href") for a in results.all()]
    target = next((h for h in hrefs if "chapters/levels/advanced.html" in h), None)
    assert target, f"the advanced-roles page is not among the results: {hrefs}"
    results.nth(hrefs.index(target)).click()
    page.wait_for_url("**/chapters/levels/advanced.html*")
    assert "Chief AI Officer" in page.locator("main").inner_text()


def _exercise_page(html_dir: Path) -> str:
    """The first generated exercise page of the toc, else any toc page with a folded solution cell."""
    docs = toc_pages()
    ordered = [d for d in docs if d.startswith("chapters/exercises/")] + docs
    for doc in ordered:
        path = html_dir / f"{doc}.html"
        if path.is_file() and "tag_hide-cell" in path.read_text(encoding="utf-8"):
            return doc
    pytest.fail("no page of the book has a folded (hide-cell) solution cell")


def test_exercise_solution_hidden_until_clicked(page, base_url, html_dir):
    doc = _exercise_page(html_dir)
    page.goto(urljoin(base_url, doc + ".html"))
    cell = page.locator(".cell.tag_hide-cell").first
    source = cell.locator(".cell_input").first
    answer = cell.locator(".cell_output")
    toggle = cell.locator("details > summary").first
    cell.scroll_into_view_if_needed()
    assert toggle.is_visible(), f"{doc}: no visible toggle for the hidden solution"
    assert "Show the solution" in toggle.inner_text()  # the label release.py gives solution folds
    assert not source.is_visible(), f"{doc}: the solution is visible before it is asked for"
    assert answer.count() == 0 or not answer.first.is_visible(), f"{doc}: the solution's output gives it away"
    toggle.click()
    source.wait_for(state="visible")
    assert source.inner_text().strip(), f"{doc}: the revealed solution is empty"


def _quiz_file(doc: str):
    from coursekit.book.quiz import load_quiz
    return load_quiz(ROOT / f"{doc}.quiz.yml")


def _score(quiz_loc) -> tuple[int, int]:
    score = quiz_loc.locator(".ck-quiz-score")
    return int(score.get_attribute("data-score")), int(score.get_attribute("data-answered"))


def test_quiz_marks_answers_and_keeps_score(page, base_url, artifacts):
    quiz = _quiz_file(QUIZ_TEST_PAGE)
    page.goto(urljoin(base_url, QUIZ_TEST_PAGE + ".html"))
    section = page.locator("section.ck-quiz[data-kind='quiz']")  # the closing quiz, after the check-in
    section.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector(\"section.ck-quiz[data-kind='quiz'].ck-quiz-ready\") !== null")
    assert _score(section) == (0, 0)
    total = len(quiz.questions)
    assert f"0 / {total}" in section.locator(".ck-quiz-score").inner_text()

    choice = next(q for q in quiz.questions if q.type == "choice")
    item = section.locator(f".ck-quiz-question[data-qid='{choice.id}']")
    feedback, explanation = item.locator(".ck-quiz-feedback"), item.locator(".ck-quiz-explanation")
    assert not feedback.is_visible() and not explanation.is_visible()
    wrong = next(i for i, c in enumerate(choice.choices) if not c.correct)
    item.locator(f"input[type=radio][value='{wrong}']").check()
    assert "ck-quiz-wrong" in item.get_attribute("class")
    assert "Not quite" in feedback.inner_text()
    assert explanation.is_visible()
    assert choice.explanation[:40] in explanation.inner_text()
    assert _score(section) == (0, 1)

    item.locator(f"input[type=radio][value='{choice.correct_index}']").check()
    assert "ck-quiz-right" in item.get_attribute("class")
    assert "ck-quiz-wrong" not in item.get_attribute("class")
    assert "Correct" in feedback.inner_text()
    assert _score(section) == (1, 1)
    assert f"1 / {total}" in section.locator(".ck-quiz-score").inner_text()

    numeric = next((q for q in quiz.questions if q.type == "numeric"), None)
    if numeric is not None:
        item = section.locator(f".ck-quiz-question[data-qid='{numeric.id}']")
        box, check = item.locator("input.ck-quiz-input"), item.locator("button.ck-quiz-check")
        box.fill("not a number")
        check.click()
        assert "ck-quiz-invalid" in item.get_attribute("class")
        assert _score(section) == (1, 1)
        box.fill(f"{numeric.answer + numeric.tolerance + max(1.0, abs(numeric.answer)):g}")
        check.click()
        assert "ck-quiz-wrong" in item.get_attribute("class")
        assert item.locator(".ck-quiz-explanation").is_visible()
        assert _score(section) == (1, 2)
        box.fill(f"{numeric.answer:g}")
        box.press("Enter")
        assert "ck-quiz-right" in item.get_attribute("class")
        assert _score(section) == (2, 2)

    section.screenshot(path=str(artifacts / "quiz.png"), style=_SCREENSHOT_STYLE)

    section.locator("button.ck-quiz-reset").click()
    assert _score(section) == (0, 0)
    assert not feedback.is_visible()


def test_check_in_explains_the_misconception(page, base_url):
    checkin = _quiz_file(QUIZ_TEST_PAGE.replace(Path(QUIZ_TEST_PAGE).name, Path(QUIZ_TEST_PAGE).name + ".checkin"))
    page.goto(urljoin(base_url, QUIZ_TEST_PAGE + ".html"))
    section = page.locator("section.ck-quiz[data-kind='check-in']")
    page.wait_for_function("document.querySelector(\"section.ck-quiz[data-kind='check-in'].ck-quiz-ready\") !== null")
    article = page.locator("main article, article, main").first.inner_text()
    assert article.index(checkin.questions[0].prompt[:30]) < article.index("What the work actually is")
    q = next(q for q in checkin.questions if any(c.why for c in q.choices))
    wrong = next(i for i, c in enumerate(q.choices) if c.why)
    item = section.locator(f".ck-quiz-question[data-qid='{q.id}']")
    item.locator(f"input[type=radio][value='{wrong}']").check()
    assert item.locator(".ck-quiz-feedback").inner_text() == "Not quite. " + q.choices[wrong].why
    assert "ck-quiz-wrong" in item.get_attribute("class")
    assert not page.log.errors and not page.log.external


def test_exported_quiz_notebook_works_offline_in_a_browser(browser, tmp_path):
    """The notebook version (jupyterquiz): its executed outputs, shown as a front end shows them."""
    from nbclient import NotebookClient

    from coursekit.book.quiz import load_quiz, quiz_notebook

    quiz = load_quiz(ROOT / f"{QUIZ_TEST_PAGE}.quiz.yml")
    nb = quiz_notebook(quiz)
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    data = {k: v for o in nb.cells[-1].outputs for k, v in o.get("data", {}).items()}
    html = data["text/html"] + "\n<script>\n" + data["application/javascript"] + "\n</script>"
    page, log = new_page(browser, "http://127.0.0.1/", viewport={"width": 1280, "height": 900})
    try:
        page.set_content("<!doctype html><html><body>" + html + "</body></html>")
        choice = next(q for q in quiz.questions if q.type == "choice")
        block = page.locator(".Quiz", has_text=choice.prompt[:40]).first
        block.wait_for()
        block.locator("label.MCButton").nth(choice.correct_index).click()
        assert "Correct!" in block.locator(".Feedback").inner_text()
        numeric = next((q for q in quiz.questions if q.type == "numeric"), None)
        if numeric is not None:
            box = page.locator(".Quiz", has_text=numeric.prompt[:40]).first.locator("input")
            box.fill(f"{numeric.answer:g}")
            box.press("Enter")
            assert "Correct!" in page.locator(".Quiz", has_text=numeric.prompt[:40]).first.inner_text()
        assert not log.external, log.external  # nothing fetched from the network
        assert not log.errors, log.errors
    finally:
        page.context.close()


# Visible text outside rendered maths and code that still looks like TeX: maths that did not render.
_RAW_TEX_JS = """() => {
    const article = document.querySelector('main article, article, main').cloneNode(true);
    article.querySelectorAll('mjx-container, pre, code, script, .MathJax, mjx-assistive-mml')
           .forEach(e => e.remove());
    return article.textContent.match(/\\\\(?:[a-zA-Z]{2,})|[\\^_]\\{/g) || [];
}"""


@pytest.mark.parametrize("doc", MATHS_PAGES, ids=[Path(d).name for d in MATHS_PAGES])
def test_formulas_render_without_mathjax_errors(page, base_url, doc):
    page.goto(urljoin(base_url, doc + ".html"))
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("() => MathJax.startup.promise")  # resolves once every formula is typeset
    assert page.locator("mjx-container").count() >= 5, f"{doc}: formulas were not typeset"
    # TeX errors become mjx-merror; an undefined macro is drawn in red (MathJax's noundefined package)
    errors = page.evaluate("""() => Array.from(document.querySelectorAll(
            'mjx-merror, mjx-container [style*="color: red"], mjx-container [mathcolor="red"]'))
        .map(e => e.getAttribute('data-mjx-error') || 'undefined macro ' + e.textContent)""")
    assert not errors, f"{doc}: MathJax errors: {errors}"
    assert "Math input error" not in page.locator("body").inner_text(), f"{doc}: Math input error"
    raw = page.evaluate(_RAW_TEX_JS)
    assert not raw, f"{doc}: TeX left unrendered in the text: {raw[:10]}"
    assert not page.log.errors, page.log.errors


def test_download_button_offers_the_notebook(page, base_url):
    page.goto(urljoin(base_url, DOWNLOAD_PAGE + ".html"))
    menu = page.locator(".dropdown-download-buttons")
    menu.locator("button.dropdown-toggle").click()
    link = menu.locator("a[href$='.ipynb']")
    link.wait_for(state="visible")
    assert ".ipynb" in link.inner_text()
    href = link.get_attribute("href")
    assert href.endswith(Path(DOWNLOAD_PAGE).name + ".ipynb"), href
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200
    notebook = json.loads(response.body())
    assert notebook.get("nbformat") == 4 and notebook.get("cells"), "the download is not a notebook"


def test_phone_viewport_reaches_navigation(browser, base_url, artifacts):
    page, log = new_page(browser, base_url, viewport={"width": 390, "height": 844},
                         is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        page.goto(urljoin(base_url, QUIZ_TEST_PAGE + ".html"))
        assert not page.locator("nav.bd-docs-nav").first.is_visible(), "the sidebar should start folded away"
        toggle = page.locator("button.primary-toggle:visible").first
        assert toggle.count(), "no visible navigation button on a phone-sized screen"
        toggle.click()
        link = page.locator("nav.bd-docs-nav a[href$='growth.html']:visible").first
        link.wait_for(state="visible")
        page.screenshot(path=str(artifacts / "phone-navigation.png"))
        link.click()
        page.wait_for_url("**/chapters/growth.html")
        assert not log.errors, log.errors
    finally:
        page.context.close()


GUIDE_PAGES = ["chapters/guides/authoring-exercises", "chapters/guides/grading-safely",
               "chapters/guides/coming-from-nbgrader", "chapters/guides/instructor-guide"]


@pytest.mark.parametrize("guide", GUIDE_PAGES)
def test_guides_fit_a_phone_without_scrolling_sideways(browser, base_url, guide):
    """Long inline paths and option names in the guides wrap; code blocks and tables scroll inside themselves."""
    page, log = new_page(browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page.goto(urljoin(base_url, guide + ".html"))
        # (a phone's layout viewport grows to fit a too-wide page, so compare with the screen's 390 px)
        wide = page.evaluate("document.documentElement.scrollWidth") - 390
        assert wide <= 1, f"{guide} is {wide} px wider than a 390 px phone"
        assert not log.errors, log.errors
    finally:
        page.context.close()


# Sticky headers would cover part of an element screenshot; flatten them while shooting.
_SCREENSHOT_STYLE = (".bd-header, .bd-header-article { position: static !important; } "
                     ".skip-link { display: none !important; }")


def test_screenshots(page, base_url, artifacts):
    page.goto(urljoin(base_url, "index.html"))
    page.wait_for_url("**/welcome.html")
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)
    page.goto(urljoin(base_url, QUIZ_TEST_PAGE + ".html"))
    page.screenshot(path=str(artifacts / "chapter.png"))
    quiz = page.locator("section.ck-quiz").first
    quiz.screenshot(path=str(artifacts / "quiz-fresh.png"), style=_SCREENSHOT_STYLE)
    for name in ("home.png", "chapter.png", "quiz-fresh.png"):
        assert (artifacts / name).stat().st_size > 1000, name
