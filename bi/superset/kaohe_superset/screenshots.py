"""Screenshots of the dashboards: headless Chromium, logged in as a person would be, driven over the DevTools
protocol; a PNG per dashboard and a report of what each chart shows (drawn, empty, an error, still loading)."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from . import ProvisionError
from .rest import Client, SupersetError

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]


# Runs in the dashboard page: what each chart holder shows (still loading, an error, or something drawn).
PROBE = r"""(() => {
  const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
  const charts = holders.map(h => {
    const title = h.querySelector('[data-test="editable-title"], .header-title, .editable-title');
    const text = h.innerText || '';
    return {
      title: title ? title.innerText.trim() : '',
      loading: !!h.querySelector('[data-test="loading-indicator"], .loading, [aria-label="loading"]'),
      error: !!h.querySelector('.alert-danger, .ant-alert-error, [data-test="error-alert"]')
             || /Unexpected error|查询出错|错误|Error/.test(text) && !h.querySelector('canvas, table'),
      empty: /No results|没有结果|无结果|No data/.test(text),
      canvas: h.querySelectorAll('canvas').length,
      rows: h.querySelectorAll('table tbody tr').length,
      big_number: (h.querySelector('.header-line, [data-test="big-number"]') || {}).innerText || '',
      text: text.slice(0, 300),
    };
  });
  const filters = [...document.querySelectorAll('[data-test="filter-control-name"], .filter-control-name')]
    .map(f => f.innerText.trim());
  // the values the filter bar has selected (e.g. the quarter a dashboard opens on)
  const selected = [...document.querySelectorAll('.ant-select-selection-item')]
    .map(s => (s.getAttribute('title') || s.innerText || '').trim()).filter(s => s);
  // the picture ends below the last chart (the page itself is as tall as the window)
  const bottom = Math.max(0, ...holders.map(h => h.getBoundingClientRect().bottom + window.scrollY));
  return JSON.stringify({title: document.title, url: location.href, charts, filters, selected, height: Math.ceil(bottom + 24)});
})()"""


class DevTools:
    """A minimal Chrome DevTools Protocol session over websocket-client (in the Superset venv's lock)."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise ProvisionError(f"DevTools {method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def close(self) -> None:
        self.ws.close()


def session_cookie(base_url: str, username: str, password: str) -> str:
    """Logs in through the login form (as a person would) and returns the session cookie's value."""
    client = Client(base_url)
    page = client.request("GET", "/login/", raw=True).decode("utf-8", "replace")
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    form = {"username": username, "password": password}
    if found:
        form["csrf_token"] = found.group(1)
    try:
        client.request(
            "POST", "/login/", urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded", raw=True
        )
    except SupersetError as err:  # a redirect to a page that needs more than we send is fine: the cookie is set
        if err.status >= 500:
            raise
    cookie = next((c.value for c in client.cookies if c.name == "session"), None)
    if not cookie:
        raise ProvisionError("the login form set no session cookie")
    return cookie


def screenshots(
    base_url: str, username: str, password: str, slugs: list[str], out_dir: Path, width: int = 1600, timeout: float = 90
) -> dict[str, dict]:
    """Opens each dashboard in one headless Chromium as a logged-in user, waits until every chart has finished
    loading and saves a PNG of the whole dashboard as <out_dir>/<slug>.png. Returns the probe's report per
    dashboard (charts drawn, errors, filters).

    Chromium stays in this process's group (a caller that kills the group kills it too) and is killed here."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        raise ProvisionError("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    cookie = session_cookie(base_url, username, password)
    profile = Path(tempfile.mkdtemp(prefix="kaohe-chromium-"))
    viewport = 2600  # taller than every dashboard: no resize (and redraw) before the picture
    browser = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{viewport}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or browser.poll() is not None:
                raise ProvisionError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.loads(response.read()) if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        reports = {}
        try:
            tools.call("Network.enable")
            tools.call("Network.setCookie", name="session", value=cookie, url=base_url + "/", httpOnly=True)
            tools.call("Page.enable")
            for slug in slugs:
                tools.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=viewport,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                tools.call("Page.navigate", url=f"{base_url}/superset/dashboard/{slug}/?standalone=1")
                time.sleep(0.5)  # let the previous page go before probing the new one
                report = wait_for_charts(tools, timeout)
                height = min(max(report.get("height", 0), 600), 8000)
                if height > viewport:  # a taller dashboard: grow the page to it and let the charts redraw
                    tools.call(
                        "Emulation.setDeviceMetricsOverride",
                        width=width,
                        height=height,
                        deviceScaleFactor=1,
                        mobile=False,
                    )
                    time.sleep(1.5)
                    report = wait_for_charts(tools, timeout)
                shot = tools.call(
                    "Page.captureScreenshot",
                    format="png",
                    clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                )
                out = out_dir / f"{slug}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(base64.b64decode(shot["data"]))
                reports[slug] = {**report, "png": str(out), "size": [width, height]}
            return reports
        finally:
            tools.close()
    finally:
        browser.kill()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def wait_for_charts(tools: DevTools, timeout: float) -> dict:
    """Polls the probe until the charts are there and none is loading (then a moment more for animations)."""
    deadline = time.monotonic() + timeout
    report: dict = {}
    while time.monotonic() < deadline:
        raw = tools.evaluate(PROBE)
        report = json.loads(raw) if raw else {}
        charts = report.get("charts", [])
        if (
            charts
            and not any(c["loading"] for c in charts)
            and all(c["canvas"] or c["rows"] or c["big_number"] or c["error"] or c["empty"] for c in charts)
        ):
            time.sleep(1.0)  # ECharts animates its first frame in
            return json.loads(tools.evaluate(PROBE))
        time.sleep(0.5)
    report["timed_out"] = True
    return report
