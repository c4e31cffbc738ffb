"""`mg.debug.stepper`: a self-contained HTML view of a backward pass, driven in real chromium.

The browser tests open the page headless with name resolution and proxies pointed nowhere, so a
fetch would fail; a small test script appended to the page presses keys and buttons (real DOM
events through the stepper's own handlers) and writes what the view shows after each press into
the page, which `--dump-dom` returns once the page is idle (`--virtual-time-budget`).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from browser import needs_chromium
from browser import probe as browser_probe
from lessons_run import LessonsRun

import minigrad as mg
from minigrad.debug import backward_steps, stepper


def graph():
    """A small graph with broadcasting, a value used twice by one op (h * h) and a constant."""
    x = mg.tensor([[1.0, 2.0], [3.0, -1.0]], requires_grad=True, name="x")
    w = mg.tensor([[0.5], [-1.0]], requires_grad=True, name="w")
    h = (x @ w).relu()
    return (h * h).mean() + (x * 2.0).sum(), (x, w)


def expected_steps():
    loss, _ = graph()
    return [(s.name, s.op) for s in backward_steps(loss)]


# ------------------------------------------------------------------------- without a browser
def test_steps_follow_backward_steps_and_leave_the_same_grads():
    loss, (x, w) = graph()
    view = stepper(loss)
    assert [(s.name, s.op) for s in view.steps] == expected_steps()
    ref_loss, (rx, rw) = graph()
    ref_loss.backward()
    np.testing.assert_array_equal(x.grad, rx.grad)
    np.testing.assert_array_equal(w.grad, rw.grad)


def test_html_is_self_contained_and_ids_are_unique():
    loss, _ = graph()
    view = stepper(loss)
    a, b = view.html(), view._repr_html_()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", a)  # nothing fetched
    assert "<script" in a and "<svg" in a
    ids_a, ids_b = set(re.findall(r'id="(mgs-[0-9a-f]+)', a)), set(re.findall(r'id="(mgs-[0-9a-f]+)', b))
    assert ids_a and not ids_a & ids_b
    # `h * h` uses h twice: two edges into the mul, one per input position
    edges = re.findall(r'data-edge="(\d+)-(\d+)-(\d+)"', a)
    assert len(edges) == len(set(edges)) and len({(p, c) for p, c, _ in edges}) == len(edges) - 1


def test_without_scripts_the_first_step_is_shown(tmp_path):
    loss, _ = graph()
    text = stepper(loss).html()
    first, name = expected_steps()[0]
    assert re.search(r'class="mg-step" data-step="0" data-op="add" data-name="add_\d+">', text)
    assert text.count("mg-current") >= 2  # the CSS rule and the first step's node
    assert first.startswith("add_") and name == "add"


def test_counter_reads_naturally_and_boxes_of_a_layer_never_touch():
    loss, _ = graph()
    text = stepper(loss).html()
    n = len(expected_steps())
    assert f'step <b class="mg-k">1</b> of {n}</span>' in text  # counted from 1, not "0 of 0-8"
    assert f"step {n} of {n}: " in text and "step 0" not in text
    boxes = {
        name: (float(x), float(y), float(w))
        for name, x, y, w in re.findall(r'data-name="([^"]+)"><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)"', text)
    }
    (xx, xy, xw), (wx, wy, ww) = boxes["x"], boxes["w"]
    assert xy == wy and max(wx - (xx + xw), xx - (wx + ww)) >= 10  # the two leaves: a visible gap
    for a, (ax, ay, aw) in boxes.items():
        for b, (bx, by, bw) in boxes.items():
            assert a == b or ay != by or bx >= ax + aw + 10 or ax >= bx + bw + 10, (a, b)


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match="stepper: expected a Tensor"):
        stepper(np.ones(3))  # type: ignore[arg-type]  # the wrong type is the test


def test_save_writes_a_page(tmp_path):
    loss, _ = graph()
    path = tmp_path / "view.html"
    stepper(loss).save(path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ------------------------------------------------------------------------------ in chromium
_PROBE = """
<script>
window.addEventListener("load", function () {
  var out = [], root = document.querySelectorAll(".mg-stepper")[INDEX];
  function snap() {
    var cur = root.querySelectorAll(".mg-node.mg-current"), vis = root.querySelectorAll(".mg-step:not([hidden])");
    out.push({step: Number(root.getAttribute("data-step")),
              nodes: Array.prototype.map.call(cur, function (e) { return e.getAttribute("data-name"); }),
              shown: Array.prototype.map.call(vis, function (e) {
                return [e.getAttribute("data-name"), e.getAttribute("data-op")]; }),
              flows: root.querySelectorAll(".mg-edge.mg-flow").length,
              counter: root.querySelector(".mg-k").textContent});
  }
  snap();
  ACTIONS.forEach(function (a) {
    if (a.key) { root.dispatchEvent(new KeyboardEvent("keydown", {key: a.key, bubbles: true})); }
    else { root.querySelector('button[data-go="' + a.button + '"]').click(); }
    snap();
  });
  var others = Array.prototype.map.call(document.querySelectorAll(".mg-stepper"),
                                        function (r) { return Number(r.getAttribute("data-step")); });
  var pre = document.createElement("pre");
  pre.id = "mg-probe";
  pre.textContent = JSON.stringify({snaps: out, steps: others});
  document.body.appendChild(pre);
});
</script>
"""

ACTIONS = [
    {"key": "ArrowRight"},
    {"key": "ArrowRight"},
    {"key": "ArrowRight"},
    {"key": "ArrowLeft"},
    {"key": "End"},
    {"key": "ArrowRight"},  # stays on the last step
    {"key": "Home"},
    {"button": "next"},
    {"button": "prev"},
    {"button": "last"},
]


def positions(n_steps: int) -> list[int]:
    expected, k = [0], 0
    for a in ACTIONS:
        keys = {"ArrowRight": "next", "ArrowLeft": "prev", "End": "last", "Home": "first"}
        go = keys[a["key"]] if "key" in a else a["button"]
        k = {"next": min(k + 1, n_steps - 1), "prev": max(k - 1, 0), "first": 0, "last": n_steps - 1}[go]
        expected.append(k)
    return expected


def probe(page: Path, tmp_path: Path, index: int = 0) -> dict:
    """Open `page` (with the probe appended) in headless chromium, networking disabled."""
    script = _PROBE.replace("INDEX", str(index)).replace("ACTIONS", json.dumps(ACTIONS))
    return browser_probe(page, script, tmp_path)


def check_follows(snaps: list[dict], expected: list[tuple[str, str]]) -> None:
    assert [s["step"] for s in snaps] == positions(len(expected))
    for s in snaps:
        name, op = expected[s["step"]]
        assert s["nodes"] == [name]  # exactly one node highlighted: this step's
        assert s["shown"] == [[name, op]]  # exactly one panel shown: this step's op
        assert s["counter"] == str(s["step"] + 1)  # the counter counts from 1
    assert snaps[0]["flows"] == 2  # the final add sends its gradient along two edges


@needs_chromium
def test_stepper_in_chromium_follows_backward_steps(tmp_path):
    loss, _ = graph()
    page = tmp_path / "view.html"
    stepper(loss).save(page)
    result = probe(page, tmp_path)
    check_follows(result["snaps"], expected_steps())


@needs_chromium
def test_two_steppers_on_one_page_are_independent(tmp_path):
    loss_a, _ = graph()
    loss_b, _ = graph()
    page = tmp_path / "two.html"
    page.write_text(
        f"<!DOCTYPE html><html><body>{stepper(loss_a).html()}{stepper(loss_b).html()}</body></html>", encoding="utf-8"
    )
    result = probe(page, tmp_path, index=1)
    check_follows(result["snaps"], expected_steps())
    assert result["steps"][0] == 0  # the first view did not move


@needs_chromium
@pytest.mark.lessons
def test_stepper_in_an_executed_lessons_html_copy(tmp_path, lessons_run: LessonsRun):
    lesson = Path(__file__).resolve().parents[1] / "lessons" / "01_tensors_and_autograd.ipynb"
    page = lessons_run.page(lesson)  # the session's one run of the lessons (tests/lessons_run.py)
    text = page.read_text(encoding="utf-8")
    assert text.count('class="mg-stepper"') == 1
    panels = _panels(text)  # nbconvert rewrites the markup (attribute order): parse it
    expected = [(name, op) for _, op, name in panels]
    assert [int(k) for k, _, _ in panels] == list(range(len(panels))) and len(panels) > 3
    snaps = probe(page, tmp_path)["snaps"]
    assert [s["step"] for s in snaps] == positions(len(expected))
    for s in snaps:
        name, op = expected[s["step"]]
        assert s["nodes"] == [name] and s["shown"] == [[name, op]]


class _Panels(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div" and a.get("class") == "mg-step":
            self.found.append((a["data-step"] or "", a["data-op"] or "", a["data-name"] or ""))


def _panels(text: str) -> list[tuple[str, str, str]]:
    parser = _Panels()
    parser.feed(text)
    return parser.found
