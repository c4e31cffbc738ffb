"""`stepper(t)`: the backward pass of `t` as a self-contained interactive HTML view.

    view = mg.debug.stepper(loss)   # runs loss's backward pass (leaves get .grad, as backward())
    view                            # in a notebook: the graph, the current node, the controls
    view.save("backward.html")      # a standalone page

Every step is one `BackwardStep` of `backward_steps(t)`, in its order (the view is built from
that generator, so it cannot disagree with it). For each step the view shows the graph (inline
SVG) with the current node highlighted and the edges its gradient is about to flow along marked,
the op, the gradient arriving and what goes to each input (shape, summary, the values when
small), and which leaves have accumulated `.grad` so far.

Self-contained: the SVG, the styles and a few lines of plain JavaScript are inline, with ids
unique to each view (two steppers on one page work). Nothing is fetched and no kernel is needed
once rendered, so it works in JupyterLab, the classic Notebook and nbconvert's HTML copies. Where
scripts are not run (an untrusted notebook), the first step is shown, statically.
"""

from __future__ import annotations

import html
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.tensor import Tensor
from ..tables import shape_str
from .drawing import graph_picture, layered_layout
from .steps import backward_steps
from .tracing import CONST, LEAF, node_op, summarize

_CHAR_PX = 7.3  # a 12px monospace character
_PAD_PX = 16.0
_GAP_PX = 14.0  # between two boxes of a layer: neighbours never touch
_WAYPOINT_PX = 16.0  # the room an edge passing through a layer takes
_LAYER_PX = 64.0
_BOX_H = 34.0
_SMALL = 12  # arrays with at most this many elements are shown in full


def _values(array: np.ndarray | None) -> str:
    if array is None or np.asarray(array).size > _SMALL:
        return ""
    return np.array2string(np.asarray(array), precision=4, separator=", ", suppress_small=True)


@dataclass(frozen=True)
class _Row:
    what: str
    shape: str
    summary: str
    values: str


class Stepper:
    """The view `stepper(t)` returns: `_repr_html_()` (Jupyter), `html()`, `save(path)`.

    `steps` are the `BackwardStep`s it shows, in order.
    """

    def __init__(self, t: Tensor, grad: Any = None, retain_graph: bool = False, max_nodes: int = 120) -> None:
        if not isinstance(t, Tensor):
            raise TypeError(f"stepper: expected a Tensor, got {type(t).__name__}")
        picture = graph_picture(t, max_nodes)  # walked before the backward frees the graph
        self._picture = picture
        position = {id(n): i for i, n in enumerate(picture.nodes)}
        parent_of = {(c, slot): p for (p, c), slot in zip(picture.edges, picture.slots)}
        self.steps = []
        self._panels: list[dict[str, Any]] = []
        leaves: dict[str, str] = {}
        for step in backward_steps(t, grad, retain_graph):
            self.steps.append(step)
            rows = [
                _Row(
                    f"arriving at {step.name}",
                    shape_str(step.output_grad.shape),
                    summarize(step.output_grad),
                    _values(step.output_grad),
                )
            ]
            for name, g in zip(step.inputs, step.input_grads):
                rows.append(
                    _Row(
                        f"-> {name}",
                        "" if g is None else shape_str(g.shape),
                        "no gradient needed" if g is None else summarize(g),
                        _values(g),
                    )
                )
            if step.is_leaf:
                leaves[step.name] = summarize(step.tensor.grad)
            me = position.get(id(step.tensor))
            # edges by (op, input position), from the picture: the graph walked before backward
            flows = [
                [parent_of[(me, slot)], me, slot]
                for slot, g in enumerate(step.input_grads)
                if g is not None and me is not None and (me, slot) in parent_of
            ]
            self._panels.append({"step": step, "rows": rows, "leaves": dict(leaves), "node": me, "flows": flows})

    # ------------------------------------------------------------------------------ html
    def html(self) -> str:
        """The view as an HTML fragment (a `<div>` with its style, SVG and script inline)."""
        uid = "mgs-" + uuid.uuid4().hex[:12]
        svg = self._svg(uid)
        panels = "".join(self._panel_html(k, p) for k, p in enumerate(self._panels))
        plan = [{"node": p["node"], "flows": [f"{a}-{b}-{k}" for a, b, k in p["flows"]]} for p in self._panels]
        first = self._panels[0] if self._panels else None
        n = len(self._panels)
        return (
            f'<div class="mg-stepper" id="{uid}" tabindex="0" data-step="0" '
            f'data-node="{html.escape(first["step"].name) if first else ""}">'
            f"<style>{_CSS.replace('#UID', '#' + uid)}</style>"
            f'<div class="mg-controls">'
            f'<button type="button" data-go="first" title="first (Home)">&#xAB; first</button>'
            f'<button type="button" data-go="prev" title="previous (&#x2190;)">&#x25C0; previous</button>'
            f'<button type="button" data-go="next" title="next (&#x2192;)">next &#x25B6;</button>'
            f'<button type="button" data-go="last" title="last (End)">last &#xBB;</button>'
            f'<span class="mg-pos">{_counter(1 if n else 0, n)}</span>'
            f'<span class="mg-hint">click here, then use the arrow keys</span></div>'
            f'<div class="mg-body"><div class="mg-graph">{svg}</div><div class="mg-panels">{panels}</div></div>'
            f"<script>{_JS.replace('UID', uid).replace('PLAN', json.dumps(plan))}</script>"
            "</div>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | os.PathLike) -> None:
        """Write the view as a standalone HTML page."""
        page = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>minigrad backward stepper</title>'
            f"</head><body>{self.html()}</body></html>\n"
        )
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)

    def __repr__(self) -> str:
        return f"Stepper({len(self.steps)} steps; in a notebook it shows itself, or .save('page.html'))"

    # ------------------------------------------------------------------------------ parts
    def _panel_html(self, k: int, panel: dict[str, Any]) -> str:
        step = panel["step"]
        what = "accumulates into .grad" if step.is_leaf else f"backward of <b>{html.escape(step.op)}</b>"
        rows = "".join(
            f"<tr><td>{html.escape(r.what)}</td><td>{html.escape(r.shape)}</td><td>{html.escape(r.summary)}</td>"
            f"<td><pre>{html.escape(r.values)}</pre></td></tr>"
            for r in panel["rows"]
        )
        leaves = panel["leaves"]
        leaf_rows = (
            "".join(f"<li><b>{html.escape(n)}</b>.grad: {html.escape(s)}</li>" for n, s in leaves.items())
            or "<li>none yet</li>"
        )
        hidden = "" if k == 0 else " hidden"
        return (
            f'<div class="mg-step" data-step="{k}" data-op="{html.escape(step.op)}" '
            f'data-name="{html.escape(step.name)}"{hidden}>'
            f'<div class="mg-title">step {k + 1} of {len(self._panels)}: <b>{html.escape(step.name)}</b> ({what})</div>'
            f"<table><tr><th>gradient</th><th>shape</th><th>summary</th><th>values</th></tr>{rows}</table>"
            f'<div class="mg-leaves">leaves with .grad so far:<ul>{leaf_rows}</ul></div></div>'
        )

    def _svg(self, uid: str) -> str:
        pic = self._picture
        labels = [(pic.names[id(n)], f"{node_op(n)} {shape_str(n.shape)}") for n in pic.nodes]
        widths = [max(len(a), len(b)) * _CHAR_PX + _PAD_PX for a, b in labels]
        room = [w + _GAP_PX for w in widths]
        layer, waypoints, xs = layered_layout(list(dict.fromkeys(pic.edges)), len(pic.nodes), room, _WAYPOINT_PX)
        gap = 12.0
        left = min((x - w / 2 for x, w in zip(xs, widths)), default=0.0) - gap
        right = max((x + w / 2 for x, w in zip(xs, widths)), default=0.0) + gap
        top_note = 20.0 if pic.note else 0.0
        height = (max(layer, default=0) + 1) * _LAYER_PX + top_note

        def y_of(lay: float) -> float:
            return top_note + _LAYER_PX / 2 + lay * _LAYER_PX

        first = self._panels[0] if self._panels else None
        flows0 = {f"{a}-{b}-{k}" for a, b, k in first["flows"]} if first else set()
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{right - left:.0f}" height="{height:.0f}" '
            f'viewBox="{left:.1f} 0 {right - left:.1f} {height:.1f}" font-family="monospace" font-size="12">',
            f'<defs><marker id="{uid}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
            'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'  # one size for every edge
            '<path d="M0,0L10,5L0,10z" fill="context-stroke"/></marker></defs>',
        ]
        if pic.note:
            parts.append(f'<text x="{left + gap:.1f}" y="14" class="mg-note">{html.escape(pic.note)}</text>')
        for (p, c), slot in zip(pic.edges, pic.slots):
            # a value used twice by one op (x * x) gets one edge per use, bowed apart
            twins = [s for e, s in zip(pic.edges, pic.slots) if e == (p, c)]
            shift = (twins.index(slot) - (len(twins) - 1) / 2) * 14.0
            pts = [(xs[p], y_of(layer[p]) + _BOX_H / 2)]
            pts += [(wx, y_of(wl)) for wx, wl in waypoints[(p, c)]]
            pts.append((xs[c] + shift, y_of(layer[c]) - _BOX_H / 2))
            if len(twins) > 1 and len(pts) == 2:
                (x0, y0), (x1, y1) = pts
                d = f"M{x0:.1f},{y0:.1f} Q{(x0 + x1) / 2 + 2 * shift:.1f},{(y0 + y1) / 2:.1f} {x1:.1f},{y1:.1f}"
            else:
                d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            key = f"{p}-{c}-{slot}"
            cls = "mg-edge mg-flow" if key in flows0 else "mg-edge"
            parts.append(f'<path class="{cls}" data-edge="{key}" d="{d}" marker-end="url(#{uid}-arrow)"/>')
        current = first["node"] if first else None
        for i, n in enumerate(pic.nodes):
            kind = "output" if n is pic.root else node_op(n) if node_op(n) in (LEAF, CONST) else "op"
            cls = f"mg-node mg-{kind}" + (" mg-current" if i == current else "")
            w, x, y = widths[i], xs[i], y_of(layer[i])
            a, b = labels[i]
            parts.append(
                f'<g class="{cls}" data-node="{i}" data-name="{html.escape(a)}">'
                f'<rect x="{x - w / 2:.1f}" y="{y - _BOX_H / 2:.1f}" width="{w:.1f}" height="{_BOX_H}" rx="6"/>'
                f'<text x="{x:.1f}" y="{y - 3:.1f}" text-anchor="middle">{html.escape(a)}</text>'
                f'<text x="{x:.1f}" y="{y + 11:.1f}" text-anchor="middle" class="mg-sub">{html.escape(b)}</text></g>'
            )
        parts.append("</svg>")
        return "".join(parts)


def _counter(k: int, n: int) -> str:
    """Where the view is, counted from 1 as a reader counts: "step 1 of 6"."""
    return f'step <b class="mg-k">{k}</b> of {n}' if n else "no steps"


def stepper(t: Tensor, grad: Any = None, retain_graph: bool = False, *, max_nodes: int = 120) -> Stepper:
    """Run the backward pass of `t` (as `t.backward(grad, retain_graph)` would: leaves get
    `.grad`) and return it as an interactive HTML view, one step per `backward_steps` step.

    A graph of more than `max_nodes` nodes is drawn in part (the nodes nearest `t`), and the
    picture says so; every step is still listed.
    """
    return Stepper(t, grad, retain_graph, max_nodes)


_CSS = """
#UID{font-family:system-ui,sans-serif;font-size:13px;border:1px solid #ccc;border-radius:6px;padding:6px;
 outline:none;max-width:100%;color:#222;background:#fff}
#UID:focus{border-color:#3b78c2;box-shadow:0 0 0 2px #b9d3f0}
#UID .mg-controls{display:flex;gap:6px;align-items:center;margin-bottom:6px;flex-wrap:wrap}
#UID button{font-size:12px;padding:2px 8px;cursor:pointer}
#UID .mg-hint{color:#888;font-size:11px}
#UID .mg-body{display:flex;gap:12px;align-items:flex-start;flex-wrap:wrap}
#UID .mg-graph{overflow:auto;max-height:560px;max-width:100%}
#UID .mg-panels{flex:1;min-width:300px}
#UID .mg-title{font-size:14px;margin-bottom:4px}
#UID table{border-collapse:collapse;font-size:12px}
#UID td,#UID th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
#UID pre{margin:0;font-size:11px;white-space:pre-wrap;background:none}
#UID .mg-leaves ul{margin:2px 0 0 0;padding-left:18px}
#UID .mg-node rect{stroke:#555;stroke-width:1;fill:#c6dbef}
#UID .mg-leaf rect{fill:#c7e9c0}
#UID .mg-const rect{fill:#eee}
#UID .mg-output rect{fill:#fdd0a2}
#UID .mg-node.mg-done rect{stroke:#2c7a2c;stroke-width:1.5}
#UID .mg-node.mg-current rect{stroke:#d62728;stroke-width:3.5}
#UID .mg-sub{fill:#444;font-size:10px}
#UID .mg-note{fill:#a33;font-size:11px}
#UID .mg-edge{fill:none;stroke:#888;stroke-width:1}
#UID .mg-edge.mg-flow{stroke:#d62728;stroke-width:2.5;stroke-dasharray:6 3}
"""

# Plain JavaScript, no library: show step k (the panel, the highlighted node, the marked edges).
_JS = """
(function () {
  var root = document.getElementById("UID"), plan = PLAN, k = 0;
  if (!root || !plan.length) { return; }
  function all(sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); }
  function show(j) {
    k = Math.max(0, Math.min(plan.length - 1, j));
    all(".mg-step").forEach(function (el) { el.hidden = Number(el.getAttribute("data-step")) !== k; });
    var done = {};
    for (var i = 0; i < k; i++) { if (plan[i].node !== null) { done[plan[i].node] = true; } }
    all(".mg-node").forEach(function (el) {
      var n = Number(el.getAttribute("data-node"));
      el.classList.toggle("mg-current", n === plan[k].node);
      el.classList.toggle("mg-done", done[n] === true && n !== plan[k].node);
    });
    var flows = {};
    plan[k].flows.forEach(function (f) { flows[f] = true; });
    all(".mg-edge").forEach(function (el) {
      el.classList.toggle("mg-flow", flows[el.getAttribute("data-edge")] === true);
    });
    var panel = root.querySelector('.mg-step[data-step="' + k + '"]');
    root.setAttribute("data-step", String(k));
    root.setAttribute("data-node", panel ? panel.getAttribute("data-name") : "");
    root.querySelector(".mg-k").textContent = String(k + 1);  // counted from 1
  }
  var moves = {first: function () { return 0; }, prev: function () { return k - 1; },
               next: function () { return k + 1; }, last: function () { return plan.length - 1; }};
  all("button[data-go]").forEach(function (b) {
    b.addEventListener("click", function () { show(moves[b.getAttribute("data-go")]()); root.focus(); });
  });
  var keys = {ArrowRight: "next", ArrowDown: "next", ArrowLeft: "prev", ArrowUp: "prev",
              Home: "first", End: "last"};
  root.addEventListener("keydown", function (e) {
    var go = keys[e.key];
    if (!go) { return; }
    e.preventDefault();
    e.stopPropagation();  // the notebook must not also move between cells
    show(moves[go]());
  });
  root.addEventListener("click", function () { root.focus(); });
  show(0);
})();
"""
