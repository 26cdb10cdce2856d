#!/usr/bin/env python3
"""The book check must catch what it claims to: run it on a tiny planted
site with one fault per page and expect each fault named.

    python3 showcase/book/test_check.py
"""
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check  # noqa: E402

PAGES = {
    "index.html": '<h1 id="top">Book</h1><p><a href="good.html#here">good</a> '
                  '<a href="error.html">e</a> <a href="gone.html">gone</a> '
                  '<a href="good.html#nowhere">bad anchor</a> <a href="raw.html">raw</a> '
                  '<a href="interview/topic.html">topic</a> <a href="image.html">img</a></p>'
                  '<div id="mdbook-searchresults"><li>a result</li></div>',
    "good.html": '<h1 id="here">Fine</h1><pre><code>fn main() {}</code></pre>',
    "image.html": '<p><img src="diagrams/missing.svg"></p>',
    "error.html": "<script>console.error('planted failure')</script><p>x</p>",
    "raw.html": "<main><p>{{#include missing.rs}}</p><pre><code>  </code></pre></main>",
    "interview/topic.html": "<main><h1>T</h1><h2>Python idiom</h2><h2>Rust answer</h2></main>",
    "print.html": "<p>all</p>",
    "404.html": "<p>not found</p>",
}


class PlantedFaults(unittest.TestCase):
    def test_every_planted_fault_is_reported(self):
        with tempfile.TemporaryDirectory() as site:
            for name, html in PAGES.items():
                path = Path(site) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"<!doctype html><html><body>{html}</body></html>")
            problems, pages = check.check(Path(site))
        text = "\n".join(problems)
        self.assertIn("/error.html: console.error: planted failure", text)
        self.assertIn("link to /gone.html is HTTP 404", text)
        self.assertIn("link to /good.html#nowhere: no element with that id", text)
        self.assertIn("/raw.html: a raw {{# directive", text)
        self.assertIn("/raw.html: 1 empty code block", text)
        self.assertIn("/interview/topic.html: topic page lacks When to use which, What it costs, Run it", text)
        self.assertIn("/image.html: image diagrams/missing.svg does not load", text)
        self.assertNotIn("/good.html:", text, "a clean page reports nothing")
        self.assertGreaterEqual(pages, 6)


if __name__ == "__main__":
    unittest.main()
