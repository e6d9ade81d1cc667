"""The HTML report in a real headless Chromium (Debian's package, no network): every image loads
(naturalWidth > 0), the page logs no console error and throws nothing, and a screenshot is saved. A broken page
must fail the same checks (so the checks can fail)."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from vocspark.analytics import report as rp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.integration


class Browser:
    """Headless Chromium driven through the DevTools protocol (websocket-client), one page."""

    def __init__(self, profile: Path):
        if not Path(CHROMIUM).exists():
            pytest.fail("chromium is not installed: run `make system-deps` (Debian package `chromium`)")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu",
             "--no-first-run", "--disable-extensions", "--remote-debugging-port=0", "--window-size=1200,2400",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                pytest.fail("chromium did not start its DevTools endpoint")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        pages = []
        while not pages and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                pages = [p for p in json.load(resp) if p.get("type") == "page"]
        import websocket  # websocket-client, pinned in setup.py dev extras

        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == method for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)

    def open(self, url: str) -> None:
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(domain)
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        time.sleep(0.5)  # late console messages
        self.call("Runtime.evaluate", expression="1")  # drains events queued meanwhile

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append("log: " + params["entry"].get("text", ""))
        return out

    def images(self) -> list[dict]:
        expr = "JSON.stringify(Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, w: i.naturalWidth})))"
        return json.loads(self.call("Runtime.evaluate", expression=expr, returnByValue=True)["result"]["value"])

    def screenshot(self, path: Path) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=1200, height=2400, deviceScaleFactor=1, mobile=False)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def report_tables() -> tuple[dict[str, pd.DataFrame], list[dict]]:
    months = ["2021-01", "2021-02", "2021-03"]
    tables = {
        "monthly_category_volume": pd.DataFrame({"month": months * 2, "product_category": ["Books"] * 3 + ["Toys"] * 3,
                                                 "reviews": [5, 7, 6, 2, 3, 1], "unique_products": [2] * 6,
                                                 "products_multi_review": [1] * 6}),
        "volume_by_source": pd.DataFrame({"month": months, "source": ["tweets"] * 3, "lang": ["es"] * 3,
                                          "documents": [4, 5, 6]}),
        "length_by_category": pd.DataFrame({"product_category": ["Books", "Toys"], "reviews": [18, 6],
                                            "chars_mean": [120.0, 80.5], "chars_median": [110, 75],
                                            "chars_p90": [200, 150], "tokens_mean": [12.0, 8.0],
                                            "tokens_median": [11, 7], "tokens_p90": [20, 14]}),
        "length_histogram": pd.DataFrame({"product_category": ["Books"] * 3, "bucket_start": [0, 50, 100],
                                          "reviews": [3, 10, 5]}),
        "rating_by_month": pd.DataFrame({"month": months, "reviews": [7, 10, 7], "avg_star_rating": [4.1, 3.9, 4.3]}),
        "reviews_by_star": pd.DataFrame({"star_rating": [1, 2, 3, 4, 5], "reviews": [2, 1, 3, 6, 12],
                                         "share": [0.08, 0.04, 0.12, 0.25, 0.5]}),
        "helpfulness_by_star": pd.DataFrame({"star_rating": [1, 5], "helpfulness": [0.8, 0.4]}),
        "positive_negative": pd.DataFrame({"scope": ["overall", "category", "category"],
                                           "product_category": [None, "Books", "Toys"], "positive": [18, 14, 4],
                                           "negative": [6, 4, 2], "positive_negative_ratio": [3.0, 3.5, 2.0]}),
        "category_summary": pd.DataFrame({"product_category": ["Books", "Toys"], "reviews": [18, 6],
                                          "avg_star_rating": [4.0, 3.5], "first_review_date": ["2021-01-02", "2021-01-05"]}),
        "top_helpful_products": pd.DataFrame({"product_id": ["P1"], "product_title": ["<b>Thing</b> & co"],
                                              "helpful_votes": [9], "rank": [1]}),
        "drift_overlap_period": pd.DataFrame({"product_category": ["Books"] * 3 + ["Toys"],
                                              "period_from": ["2018", "2019", "2020", "2020"],
                                              "period_to": ["2019", "2020", "2021", "2021"],
                                              "overlap_pct": [80.0, 70.0, 55.0, 60.0]}),
        "drift_overlap_star": pd.DataFrame({"product_category": ["Books", "Books", "Toys"], "star_rating_from": [1, 2, 1],
                                            "star_rating_to": [2, 3, 2], "overlap_pct": [60.0, 50.0, 40.0]}),
    }
    models = [
        {"name": "product_category", "version": "v1", "metadata": {"metrics": {
            "test_documents": 100, "accuracy": 0.8, "macro_f1": 0.7, "weighted_f1": 0.78, "majority_baseline": 0.3}}},
        {"name": "instagram", "version": "demo", "metadata": {"cluster_sizes": {"0": 30, "1": 12, "2": 50}}},
    ]
    return tables, models


def test_trend_line_fit():
    slope, intercept = rp.trend(pd.Series([80.0, 70.0, 55.0]).to_numpy())
    assert slope == pytest.approx(-12.5) and intercept == pytest.approx(68.3333333 + 12.5)  # mean y - slope * mean x
    assert rp.trend(pd.Series([60.0]).to_numpy()) is None


def test_report_in_headless_chromium(tmp_path):
    tables, models = report_tables()
    page, n_images = rp.render(tables, models, title="Test report")
    # volume x2, length, length histogram, rating, stars, ratio, drift grid, drift heat map, classifier metrics,
    # cluster sizes
    assert n_images == 11
    assert "&lt;b&gt;Thing&lt;/b&gt; &amp; co" in page  # table cells are escaped
    assert "http://" not in page and "https://" not in page and "<script" not in page  # self-contained
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><img alt="x" src="data:image/png;base64,AAAA">'
                      "<script>console.error('boom')</script></body></html>", encoding="utf-8")

    browser = Browser(tmp_path / "profile")
    try:
        browser.open(report.as_uri())
        images = browser.images()
        assert len(images) == n_images
        assert all(i["complete"] and i["w"] > 0 for i in images), images
        assert browser.errors() == []
        shot = tmp_path / "report.png"
        browser.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
        print(f"report screenshot: {shot}")

        browser.open(broken.as_uri())  # the same checks catch a broken image and a console error
        assert [i["w"] for i in browser.images()] == [0]
        assert any("boom" in e for e in browser.errors())
    finally:
        browser.close()
