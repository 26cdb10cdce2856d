#!/usr/bin/env python3
"""Check the built book in headless Chromium, the way a reader meets it.

    python3 showcase/book/check.py [SITE]      # default: target/showcase/book
    python3 showcase/book/check.py --self-test # a broken include must fail it
    python3 showcase/book/check.py --charts results/charts   # tour --report's SVGs

Serves SITE on 127.0.0.1, opens every page reachable from index.html (plus
print.html and 404.html) and fails, one line per problem, when a page:
  * logs a console error, throws, or fails to load a resource;
  * is not HTTP 200, or links to a page or #anchor that does not exist;
  * shows an empty code block (mdBook includes nothing for a missing
    anchor) or a raw `{{#` directive (mdBook leaves it for a missing file);
  * has a Mermaid block that did not become a diagram, or an image that
    does not load (a Graphviz diagram the build did not render);
  * is a topic page without the lesson's sections, or a cheat sheet that
    prints on more than two A4 pages;
and when the search box finds nothing for a word every page has.

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: commands on fd 3, replies on fd 4, each a JSON
message ended by NUL), so the check needs the Python standard library and
Debian's `chromium` package, nothing else.
"""
import argparse
import base64
import fcntl
import functools
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google's
# hosts, which a closed network refuses many times a second.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--remote-debugging-pipe"]
SECTIONS = ["Python idiom", "Rust answer", "When to use which", "What it costs", "Run it"]
SETTLE_SECONDS = 10.0
# A topic's page: /<area>/<slug>.html (the results and sheet chapters are not).
TOPIC_PAGE = r"/(core|perf|concurrency|patterns|testing|tooling|interview|showcase)/[a-z0-9-]+\.html"


class Browser:
    """One headless Chromium and one tab, spoken to over the pipe."""

    def __init__(self):
        self.profile = tempfile.TemporaryDirectory(prefix="book-check-profile-")
        commands_r, self._write = os.pipe()
        self._read, replies_w = os.pipe()

        def as_fds_3_and_4():
            # Move both ends above 10 first, so one dup2 cannot clobber the
            # other end before it is moved.
            r = fcntl.fcntl(commands_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(replies_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        try:
            self.proc = subprocess.Popen(
                [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile.name}", "about:blank"],
                close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, preexec_fn=as_fds_3_and_4)
        except FileNotFoundError:
            sys.exit(f"book check: no Chromium at {CHROMIUM}: "
                     "install it with `sudo apt-get install chromium` (or set CHROMIUM)")
        os.close(commands_r)
        os.close(replies_w)
        self._buffer, self._next, self.events = b"", 0, []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=True)

    def _message(self, timeout):
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], max(0.0, timeout))
            if not ready:
                return None
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its pipe (did it crash?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=False, timeout=30.0):
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline - time.monotonic())
            if reply is None:
                raise TimeoutError(f"chromium did not answer {method} in {timeout} s")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating the page failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def pump(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = self._message(left)
            if message is None:
                return
            self.events.append(message)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.profile.cleanup()


PAGE_FACTS = """(() => {
  const content = document.querySelector('#mdbook-content, main') || document.body;
  const diagrams = [...document.querySelectorAll('pre.mermaid')];
  return {
    diagrams: diagrams.length,
    drawn: diagrams.filter(p => p.querySelector('svg') &&
        !p.querySelector('.error-icon, [aria-roledescription=error]')).length,
    broken_images: [...document.images].filter(i => !i.complete || i.naturalWidth === 0)
        .map(i => i.getAttribute('src')),
    empty_code: [...content.querySelectorAll('pre > code')]
        .filter(c => c.textContent.trim() === '').length,
    raw_directives: (content.textContent.match(/\\{\\{#/g) || []).length,
    headings: [...content.querySelectorAll('h2')].map(h => h.textContent.trim()),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  };
})()"""
DIAGRAMS_SETTLED = """[...document.querySelectorAll('pre.mermaid')]
  .every(p => p.querySelector('svg') || p.dataset.processed)"""
SEARCH_RESULTS = "document.querySelectorAll('#mdbook-searchresults li').length"


def serve(site):
    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def visit(browser, url, facts=None):
    """Loads `url`; returns its HTTP status, what the `facts` expression
    (default: a book page's) finds in it, and the problems it logged."""
    browser.events.clear()
    browser.send("Page.navigate", {"url": url}, session=True)
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and not any(
            e.get("method") == "Page.loadEventFired" for e in browser.events):
        browser.pump(0.05)
    while facts is None and time.monotonic() < deadline and not browser.evaluate(DIAGRAMS_SETTLED):
        browser.pump(0.05)
    browser.pump(0.1)  # late console messages
    facts = browser.evaluate(facts or PAGE_FACTS)
    status, logged = 0, []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            logged.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            logged.append("uncaught: " + details.get("exception", {}).get("description", details["text"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            logged.append(f"{entry['text']} {entry.get('url', '')}".strip())
        elif method == "Network.responseReceived" and params["type"] == "Document":
            status = params["response"]["status"]
    return status, facts, logged


def printed_pages(browser):
    """How many A4 pages the open page prints on, in the browser's print view."""
    pdf = base64.b64decode(browser.send(
        "Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69}, session=True)["data"])
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def check(site):
    """Every problem in the built book at `site`, and the number of pages seen."""
    if not (site / "index.html").is_file():
        sys.exit(f"book check: {site}/index.html does not exist: build the book first "
                 "(`cargo run -- book`)")
    server = serve(site)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    browser = Browser()
    problems, pages, links = [], {}, []
    queue = deque(f"{origin}/{name}" for name in ("index.html", "print.html", "404.html"))
    seen = set(queue)
    try:
        while queue:
            url = queue.popleft()
            name = url[len(origin):]
            status, facts, logged = visit(browser, url)
            problems += [f"{name}: {line}" for line in logged]
            pages[url] = (status, set(facts["ids"]))
            if status != 200 and not name.endswith("404.html"):
                problems.append(f"{name}: HTTP {status}")
            if facts["drawn"] != facts["diagrams"]:
                problems.append(f"{name}: {facts['diagrams'] - facts['drawn']} of "
                                f"{facts['diagrams']} Mermaid blocks did not become a diagram")
            for image in facts["broken_images"]:
                problems.append(f"{name}: image {image} does not load")
            if facts["empty_code"] and not name.endswith("print.html"):
                problems.append(f"{name}: {facts['empty_code']} empty code block(s) "
                                "(an include whose anchor is missing?)")
            if facts["raw_directives"]:
                problems.append(f"{name}: a raw {{{{# directive in the page (an include whose file is missing?)")
            if name.startswith("/cheatsheets/"):
                pages_printed = printed_pages(browser)
                if pages_printed > 2:
                    problems.append(f"{name}: prints on {pages_printed} A4 pages (at most 2)")
            elif re.fullmatch(TOPIC_PAGE, name) and not name.endswith("/index.html"):
                missing = [s for s in SECTIONS if s not in facts["headings"]]
                if missing:
                    problems.append(f"{name}: topic page lacks {', '.join(missing)}")
            # 404.html is served at whatever path was missing, so its links
            # are written from the site root, not from its own location.
            for link in [] if name == "/404.html" else facts["links"]:
                if not link.startswith(origin + "/"):
                    continue  # external: nothing to check offline
                links.append((name, link))
                page = link.split("#")[0].split("?")[0]
                if page not in seen:
                    seen.add(page)
                    queue.append(page)
        for name, link in links:
            page, _, fragment = link.partition("#")
            page = page.split("?")[0]
            status, ids = pages.get(page, (0, set()))
            if status != 200:
                problems.append(f"{name}: link to {link[len(origin):]} is HTTP {status}")
            elif fragment and urllib.parse.unquote(fragment) not in ids:
                problems.append(f"{name}: link to {link[len(origin):]}: no element with that id")
        visit(browser, f"{origin}/index.html?search=rust")
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and not browser.evaluate(SEARCH_RESULTS):
            browser.pump(0.1)
        if not browser.evaluate(SEARCH_RESULTS):
            problems.append("search: no result for 'rust'")
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    return problems, len(pages)


SVG_FACTS = """({root: document.documentElement.localName,
  errors: document.getElementsByTagName('parsererror').length,
  texts: document.getElementsByTagName('text').length})"""


def check_charts(folder):
    """Every problem with the SVG files in `folder`: each must load as an
    SVG document (no XML error) with text in it, and log no error."""
    charts = sorted(folder.glob("*.svg"))
    if not charts:
        return [f"{folder}: no .svg file"], 0
    server = serve(folder)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    browser = Browser()
    problems = []
    try:
        for chart in charts:
            status, facts, logged = visit(browser, f"{origin}/{chart.name}", SVG_FACTS)
            # A document that is not SVG asks for a favicon; that 404 is
            # a symptom of the error reported below, not a second fault.
            problems += [f"{chart.name}: {line}" for line in logged if "favicon" not in line]
            if status != 200 or facts["root"] != "svg" or facts["errors"] or not facts["texts"]:
                problems.append(f"{chart.name}: not a well-formed SVG with labels ({facts})")
    finally:
        browser.close()
        server.shutdown()
        server.server_close()
    return problems, len(charts)


def self_test():
    """Breaks one include in a copy of the book and expects the check to fail."""
    mdbook = shutil.which("mdbook")
    if mdbook is None:
        sys.exit("book check: mdbook is not installed: `cargo install --locked mdbook@0.5.4`")
    # The copy sits as deep below the checkout as showcase/book, so the
    # pages' ../../../../ paths to the crates still resolve.
    copy = ROOT / "target" / "book-self-test"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(ROOT / "showcase" / "book", copy, ignore=shutil.ignore_patterns("*.py"))
    page = copy / "src" / "interview" / "lru-cache.md"
    text = page.read_text()
    broken = text.replace("mod.rs:core}}", "mod.rs:core_renamed}}")
    if broken == text:
        sys.exit("book self-test: the LRU page has no core include to break")
    page.write_text(broken)
    site = copy / "site"
    subprocess.run([mdbook, "build", "-d", str(site), str(copy)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    problems, _ = check(site)
    caught = [p for p in problems if p.startswith("/interview/lru-cache.html") and "empty code" in p]
    shutil.rmtree(copy)
    if not caught:
        print("book self-test: FAILED: a renamed anchor went unnoticed; problems seen:")
        print("\n".join(problems) or "(none)")
        return 1
    print(f"book self-test: ok, a renamed anchor is caught ({caught[0]})")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "target/showcase/book",
                        help="the built book [default: target/showcase/book]")
    parser.add_argument("--self-test", action="store_true",
                        help="break one include in a copy of the book and expect a failure")
    parser.add_argument("--charts", type=Path, metavar="DIR",
                        help="instead, open every SVG chart in DIR (`tour --report`'s charts/)")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    started = time.monotonic()
    if args.charts:
        problems, count = check_charts(args.charts.resolve())
        what = "charts"
    else:
        problems, count = check(args.site.resolve())
        what = "pages"
    for problem in problems:
        print(problem)
    print(f"book check: {count} {what} in {time.monotonic() - started:.1f} s, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
