"""`draw(t)`: a picture of the graph behind a tensor, with matplotlib alone (no graphviz).

Data flows down the page: inputs at the top, `t` at the bottom. The layout is the classic
layered one (Sugiyama), kept small:

1. Layers. An op sits one layer below its deepest input (longest path from the inputs); an
   input (leaf or constant) sits one layer above its first consumer, so a parameter used late
   in the graph is drawn next to where it is used.
2. An edge that skips layers gets an invisible waypoint in each layer it crosses, so it is
   routed between boxes, not through them.
3. Order within a layer: the barycentre heuristic (each node moves towards the mean position of
   its neighbours in the layer above, then below, a few sweeps), which removes most crossings.
4. Positions: each node is pulled towards its neighbours (an input's pull on the op it feeds is
   weak, so chains of ops stay straight), keeping the layer's order and room for every box;
   when two want the same place, a waypoint wins over an op, and an op over an input.

Each box shows the node's name (as in `trace(t)`), its op and shape, and, when its gradient is
known (a leaf's `.grad`; an intermediate's gradient from the latest `backward_steps` pass), the
gradient's norm `|grad|`. A box with NaN or inf in its value or gradient has a red border.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from ..engine.tensor import Tensor
from ..tables import shape_str
from .tracing import CONST, LEAF, graph_nodes, known_grad, node_op, short_names

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Sizes in inches at the default font size (the drawing's data units are inches).
_FONT_SIZE = 8.0
_CHAR_IN = 0.6 * _FONT_SIZE / 72  # a monospace character is about 0.6 em wide
_BOX_PAD_IN = 0.3  # the box's padding and the gap to its neighbour
_WAYPOINT_IN = 0.25  # the room an edge passing through a layer takes
_LAYER_IN = 0.9  # from one layer to the next

_COLORS = {"op": "#c6dbef", LEAF: "#c7e9c0", CONST: "#eeeeee", "output": "#fdd0a2"}
_LEGEND = {"op": "op output", LEAF: "leaf (requires grad)", CONST: "constant", "output": "the tensor drawn"}


@dataclass(frozen=True)
class GraphPicture:
    """What `draw` and `stepper` draw of the graph behind `root`.

    `nodes`: the drawn tensors in creation order; `names`: short names (as `trace` shows them)
    of every tensor of the whole graph; `edges[i] = (parent, child)` indices into `nodes`, one
    per use, so `x * x` has two edges, `slots[i]` being the input position of that use; `total`:
    the number of nodes of the whole graph; `note`: what was left out ("" if nothing).
    """

    root: Tensor
    nodes: list[Tensor]
    names: dict[int, str]
    edges: list[tuple[int, int]]
    slots: list[int]
    total: int
    note: str


def graph_picture(t: Tensor, max_nodes: int = 120) -> GraphPicture:
    """The graph behind `t`, capped at the `max_nodes` nodes nearest to `t` (breadth first from
    `t`): hundreds of boxes are no picture. The note says how many earlier nodes are not drawn."""
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw: max_nodes must be a positive int, got {max_nodes!r}")
    every = graph_nodes(t)
    names = short_names(every)
    nodes, note = every, ""
    if len(every) > max_nodes:
        kept: dict[int, Tensor] = {id(t): t}
        frontier = [t]
        while frontier and len(kept) < max_nodes:
            following = []
            for tensor in frontier:
                for p in tensor._node.inputs if tensor._node is not None else ():
                    if id(p) not in kept and len(kept) < max_nodes:
                        kept[id(p)] = p
                        following.append(p)
            frontier = following
        nodes = sorted(kept.values(), key=lambda n: n._index)
        note = (
            f"{len(every)} nodes: the {len(nodes)} nearest to {names[id(t)]} are drawn, "
            f"{len(every) - len(nodes)} earlier ones are not (trace(t) lists them all)"
        )
    index = {id(n): i for i, n in enumerate(nodes)}
    edges, slots = [], []
    for i, n in enumerate(nodes):
        for slot, p in enumerate(n._node.inputs if n._node is not None else ()):
            if id(p) in index:
                edges.append((index[id(p)], i))
                slots.append(slot)
    return GraphPicture(t, nodes, names, edges, slots, len(every), note)


def layered_layout(
    edges: list[tuple[int, int]], n: int, widths: list[float], waypoint: float = _WAYPOINT_IN
) -> tuple[list[int], dict[tuple[int, int], list[tuple[float, float]]], list[float]]:
    """Lay out a DAG of `n` nodes (0..n-1 a topological order) given `(parent, child)` edges.

    Returns each node's layer, each edge's waypoints `(x, layer)` (empty for an edge between
    adjacent layers), and each node's x, with at least `(widths[a] + widths[b]) / 2` between
    neighbours in a layer (`widths` include the gap wanted between boxes; `waypoint` is the room
    an edge passing through a layer takes, in the same unit). Steps 1-4 of the module docstring.
    """
    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    for p, c in edges:
        parents[c].append(p)
        children[p].append(c)
    layer = [0] * n
    for i in range(n):
        if parents[i]:
            layer[i] = 1 + max(layer[p] for p in parents[i])
    for i in range(n):
        if not parents[i] and children[i]:
            layer[i] = min(layer[c] for c in children[i]) - 1
    lowest = min(layer) if n else 0
    layer = [v - lowest for v in layer]

    # Virtual graph: real nodes 0..n-1, then one waypoint per skipped layer of each long edge.
    # Each virtual edge remembers its weight for step 4: an edge out of an input (a leaf or a
    # constant) barely pulls, so a chain of ops stays straight and its inputs hang beside it.
    v_layer, v_width = list(layer), list(widths)
    up: list[list[tuple[int, float]]] = [[] for _ in range(n)]  # (neighbour in the layer above, weight)
    down: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    chains: dict[tuple[int, int], list[int]] = {}
    for p, c in edges:
        weight = 1e-3 if not parents[p] else 1.0
        previous, chain = p, []
        for lay in range(layer[p] + 1, layer[c]):
            v = len(v_layer)
            v_layer.append(lay)
            v_width.append(waypoint)
            up.append([(previous, weight)])
            down.append([])
            down[previous].append((v, weight))
            chain.append(v)
            previous = v
        up[c].append((previous, weight))
        down[previous].append((c, weight))
        chains[(p, c)] = chain

    n_layers = max(v_layer) + 1 if v_layer else 0
    rows: list[list[int]] = [[] for _ in range(n_layers)]
    for v, lay in enumerate(v_layer):
        rows[lay].append(v)
    rank = [0.0] * len(v_layer)

    def renumber(row: list[int]) -> None:
        for r, v in enumerate(row):
            rank[v] = r - (len(row) - 1) / 2

    for row in rows:
        renumber(row)
    for sweep in range(8):  # 3. barycentre ordering, down then up
        going_down = sweep % 2 == 0
        for lay in range(1, n_layers) if going_down else range(n_layers - 2, -1, -1):
            neighbours = up if going_down else down
            row = rows[lay]
            key = {
                v: (float(np.mean([rank[u] for u, _ in neighbours[v]])) if neighbours[v] else rank[v], rank[v])
                for v in row
            }
            row.sort(key=key.__getitem__)
            renumber(row)

    # 4. x positions: start packed, then pull towards neighbours keeping order and room.
    x = [0.0] * len(v_layer)
    for row in rows:
        pos = 0.0
        for r, v in enumerate(row):
            if r:
                pos += (v_width[row[r - 1]] + v_width[v]) / 2
            x[v] = pos
        for v in row:
            x[v] -= pos / 2
    # Who gets its wish first when two want the same place (Sugiyama's priority method):
    # waypoints (long edges stay straight), then ops, then inputs, which step aside.
    priority = [(0 if v >= n else 1 if parents[v] else 2, -len(up[v]) - len(down[v])) for v in range(len(v_layer))]
    for sweep in range(12):
        going_down = sweep % 2 == 0
        neighbours = up if going_down else down
        for lay in range(n_layers) if going_down else range(n_layers - 1, -1, -1):
            row = rows[lay]
            want = [
                float(np.average([x[u] for u, _ in neighbours[v]], weights=[w for _, w in neighbours[v]]))
                if neighbours[v]
                else x[v]
                for v in row
            ]
            for r, pos in enumerate(_place_row(want, [v_width[v] for v in row], [priority[v] for v in row])):
                x[row[r]] = pos
    waypoints = {edge: [(x[v], float(v_layer[v])) for v in chain] for edge, chain in chains.items()}
    return layer, waypoints, x[:n]


def _place_row(want: list[float], widths: list[float], priority: list[tuple]) -> list[float]:
    """Positions for one layer's nodes, in their order, as close to `want` as room allows.

    Nodes are placed by priority (smallest first); each goes to its wish, clipped so that it
    leaves room for every node between it and those already placed (`(w_a + w_b) / 2` apart).
    """
    offset = [0.0]  # offset[r]: least distance from node 0 to node r
    for r in range(1, len(want)):
        offset.append(offset[-1] + (widths[r - 1] + widths[r]) / 2)
    placed: dict[int, float] = {}
    for r in sorted(range(len(want)), key=lambda r: priority[r]):
        low = max((placed[j] + offset[r] - offset[j] for j in range(r) if j in placed), default=-np.inf)
        high = min((placed[j] - offset[j] + offset[r] for j in range(r + 1, len(want)) if j in placed), default=np.inf)
        placed[r] = min(max(want[r], low), high)
    return [placed[r] for r in range(len(want))]


def _label(name: str, op: str, tensor: Tensor, grad: np.ndarray | None) -> str:
    lines = [name, f"{op} {shape_str(tensor.shape)}"]
    if grad is not None:
        with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN gradients show as inf/nan
            norm = float(np.linalg.norm(np.asarray(grad, dtype=np.float64)))
        lines.append(f"|grad| {norm:.3g}")
    return "\n".join(lines)


def _nonfinite(array: np.ndarray | None) -> bool:
    return array is not None and array.dtype.kind in "fc" and not bool(np.isfinite(array).all())


def draw(t: Tensor, ax: Axes | None = None, *, title: str | None = None, max_nodes: int = 120) -> Figure:
    """Draw the graph behind `t` (see the module docstring) and return the matplotlib Figure.

    A value an op uses twice (`x * x`) has one arrow per use: both gradients are added. A graph
    of more than `max_nodes` nodes is drawn in part, the nodes nearest `t`, and the title says so.

    Without `ax`, a new figure sized to the graph is made; it is not left open in pyplot, so a
    notebook shows it once, as the cell's value (`fig.savefig(path)` writes it to a file).
    With `ax`, the graph is drawn there, fonts shrunk to fit, and `ax.figure` is returned.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if not isinstance(t, Tensor):
        raise TypeError(f"draw: expected a Tensor, got {type(t).__name__}")
    picture = graph_picture(t, max_nodes)
    nodes, names = picture.nodes, picture.names
    ops = [node_op(n) for n in nodes]
    grads = [known_grad(n) for n in nodes]
    labels = [_label(names[id(n)], op, n, g) for n, op, g in zip(nodes, ops, grads)]
    widths = [max(len(line) for line in label.split("\n")) * _CHAR_IN + _BOX_PAD_IN for label in labels]
    edges = list(dict.fromkeys(picture.edges))  # laid out once; drawn once per use below
    uses = {edge: picture.edges.count(edge) for edge in edges}
    layer, waypoints, xs = layered_layout(edges, len(nodes), widths)
    n_layers = max(layer) + 1
    x_low = min(x - w / 2 for x, w in zip(xs, widths))
    x_high = max(x + w / 2 for x, w in zip(xs, widths))
    pad = 0.1
    width_in, height_in = x_high - x_low + 2 * pad, n_layers * _LAYER_IN

    kinds = {"output"} | {(op if op in (LEAF, CONST) else "op") for n, op in zip(nodes, ops) if n is not t}
    handles = [Patch(facecolor=_COLORS[k], edgecolor="#555555", label=_LEGEND[k]) for k in _LEGEND if k in kinds]
    # A legend entry takes about 1.8 inches: wrap it onto more rows in a narrow figure.
    legend_columns = max(1, min(len(handles), int(max(width_in, 4.0) // 1.8)))
    legend_rows = -(-len(handles) // legend_columns)
    if ax is None:
        margin_top, margin_bottom = 0.45, 0.25 + 0.2 * legend_rows  # title; legend
        fig, ax = plt.subplots(figsize=(max(width_in, 4.0), height_in + margin_top + margin_bottom))
        plt.close(fig)  # returned, not left for pyplot to show a second time
        fig.subplots_adjust(
            left=0.0, right=1.0, top=1 - margin_top / fig.get_figheight(), bottom=margin_bottom / fig.get_figheight()
        )
    else:
        fig = cast("Figure", ax.figure)  # an Axes' figure; typed as Figure | SubFigure
    # One data unit is one inch at the natural size; in a smaller axes everything (fonts
    # included) shrinks by the same factor, so boxes keep their room in both directions.
    box = ax.get_position()
    ax_w, ax_h = box.width * fig.get_figwidth(), box.height * fig.get_figheight()
    scale = min(1.0, round(min(ax_w / width_in, ax_h / height_in), 6))  # round: 0.9999999 is 1
    font = max(_FONT_SIZE * scale, 3.0)

    def y_of(lay: float) -> float:  # layer 0 at the top
        return -lay * _LAYER_IN

    texts = []
    for i, tensor in enumerate(nodes):
        kind = "output" if tensor is t else (ops[i] if ops[i] in (LEAF, CONST) else "op")
        bad = _nonfinite(tensor.data) or _nonfinite(grads[i])
        texts.append(
            ax.text(
                xs[i],
                y_of(layer[i]),
                labels[i],
                ha="center",
                va="center",
                fontsize=font,
                family="monospace",
                zorder=3,
                bbox=dict(
                    boxstyle="round,pad=0.3",
                    facecolor=_COLORS[kind],
                    edgecolor="red" if bad else "#555555",
                    linewidth=1.6 if bad else 0.8,
                ),
            )
        )

    # Arrows enter a box's top edge spread out, in the order of where they come from; an input
    # used twice by one op (`x * x`) gets one arrow per use, bowed apart.
    arriving: dict[int, list[tuple[float, int, tuple[int, int]]]] = {}
    for p, c in edges:
        points = waypoints[(p, c)]
        source_x = points[-1][0] if points else xs[p]
        for use in range(uses[(p, c)]):
            arriving.setdefault(c, []).append((source_x, use, (p, c)))
    color, lw = "#444444", 0.8
    for c, incoming in arriving.items():
        incoming.sort()
        for k, (_, use, (p, _c)) in enumerate(incoming):
            entry = 0.5 if len(incoming) == 1 else 0.25 + 0.5 * k / (len(incoming) - 1)
            points = [(xs[p], y_of(layer[p]))] + [(wx, y_of(lay)) for wx, lay in waypoints[(p, c)]]
            if len(points) > 1:  # the route to the last waypoint; it starts under the parent's box
                ax.plot([px for px, _ in points], [py for _, py in points], zorder=1, color=color, lw=lw)
            bow = 0.0 if uses[(p, c)] == 1 else 0.35 * (use - (uses[(p, c)] - 1) / 2)
            ax.annotate(
                "",
                xy=(entry, 1.0),
                xycoords=texts[c],
                xytext=points[-1],
                textcoords="data",
                arrowprops=dict(
                    arrowstyle="-|>", shrinkA=0, shrinkB=1, color=color, lw=lw, connectionstyle=f"arc3,rad={bow}"
                ),
                zorder=1,
            )

    x_mid, y_mid = (x_low + x_high) / 2, y_of((n_layers - 1) / 2)
    ax.set_xlim(x_mid - ax_w / scale / 2, x_mid + ax_w / scale / 2)
    ax.set_ylim(y_mid - ax_h / scale / 2, y_mid + ax_h / scale / 2)
    ax.axis("off")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=legend_columns,
        frameon=False,
        fontsize=font,
    )
    if title is None:
        title = f"graph behind {names[id(t)]} ({len(nodes)} nodes)"
        if picture.note:
            title = f"graph behind {names[id(t)]}: {picture.note}"
    ax.set_title(title, fontsize=font + 2)
    return fig
