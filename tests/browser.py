"""Headless chromium for the tests: open a local HTML file with networking disabled, read what it shows.

Every run points name resolution and the proxy nowhere (loopback included), so a page that tries
to fetch anything (a CDN script, a font) gets nothing, as on an offline lab machine. A test that
needs the browser marks itself `@needs_chromium` and is skipped cleanly where chromium is absent
(`.ci/run` installs Debian's `chromium`).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")

#: No name resolves and every request, loopback included, goes to a closed port: nothing is fetched.
OFFLINE = (
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)


def chromium(page: Path, profile: Path, *flags: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run headless chromium offline on `page` with `flags` (e.g. --dump-dom); `profile` is a scratch folder."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # CI runs as root, where chromium's sandbox refuses to start
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",  # a fresh profile per test: no state shared between runs
        *OFFLINE,
        *flags,
        page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def dump_dom(page: Path, profile: Path, budget_ms: int = 5000) -> str:
    """The page's DOM once its scripts have run (`--virtual-time-budget` lets the page go idle first)."""
    result = chromium(page, profile, f"--virtual-time-budget={budget_ms}", "--dump-dom")
    assert result.returncode == 0 and "<html" in result.stdout.lower(), (
        f"chromium could not render {page}: {result.stderr[-2000:]}"
    )
    return result.stdout


_INVISIBLE = re.compile(r"<(script|style|head|template)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def visible_text(dom: str) -> str:
    """The text a reader sees in a rendered DOM: scripts, styles and the head dropped, tags stripped.

    Hidden elements are kept, which makes a "no raw TeX" check stricter, not weaker.
    """
    return html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", dom)))


def screenshot(page: Path, png: Path, profile: Path, width: int = 1200, height: int = 3000) -> Path:
    """A PNG of the top `width` × `height` pixels of the page as chromium renders it offline."""
    result = chromium(page, profile, f"--window-size={width},{height}", f"--screenshot={png}")
    assert png.is_file(), f"chromium wrote no screenshot of {page}: {result.stderr[-2000:]}"
    return png


_PROBED = re.compile(r'<pre id="mg-probe">(.*?)</pre>', re.S)


def probe(page: Path, script: str, scratch: Path) -> Any:
    """Open a copy of `page` with `script` appended and return the JSON the script leaves in the page.

    `script` is a `<script>` that, once the page has loaded, appends `<pre id="mg-probe">JSON</pre>`
    to the body (real DOM, real layout: what chromium itself computed). `scratch` is a folder for the
    copy and the browser profile.
    """
    probed = scratch / f"probed_{page.name}"
    text = page.read_text(encoding="utf-8").replace("</body>", script + "</body>")
    # the copy lives elsewhere: a <base> keeps its relative links pointing next to the original
    base = f'<base href="{page.resolve().parent.as_uri()}/">'
    text = re.sub(r"<head\b[^>]*>", lambda m: m.group(0) + base, text, count=1)
    probed.write_text(text, encoding="utf-8")
    dom = dump_dom(probed, scratch / "profile")
    found = _PROBED.search(dom)
    assert found, f"no probe output from {page}"
    return json.loads(html.unescape(found.group(1)))
