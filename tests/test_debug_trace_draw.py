"""`mg.debug.trace` (the graph as a table) and `mg.debug.draw` (the graph as a picture)."""

from __future__ import annotations

import gc
import io
import itertools
import weakref

import matplotlib

matplotlib.use("Agg")  # headless: before pyplot is imported anywhere

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionStyle, FancyArrowPatch
from matplotlib.text import Annotation

import minigrad as mg
from minigrad.debug import backward_steps, draw, trace
from minigrad.debug.drawing import layered_layout


def graph():
    """y = sum((x * w + 1) ** 2): leaves x (named), w (unnamed), constant 1.0."""
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    w = mg.tensor([0.5, -1.0], requires_grad=True)
    z = x * w + 1.0
    y = (z**2).sum()
    return y, x, w, z


def model_loss(seed: int = 0, n_hidden: int = 2):
    """A ~30-node graph: Dense/BatchNorm/ReLU blocks, MSE loss and weight decay."""
    mg.manual_seed(seed)
    layers = []
    width = 3
    for _ in range(n_hidden):
        layers += [mg.nn.Dense(width, 8), mg.nn.BatchNorm(8), mg.nn.ReLU()]
        width = 8
    model = mg.nn.Sequential(*layers, mg.nn.Dense(width, 1))
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.normal(size=(16, 3)), name="x")
    loss = mg.nn.mse_loss(model(x), rng.normal(size=(16, 1)))
    for p in (model[0].weight, model[3].weight):
        loss = loss + 0.01 * (p**2).sum()
    return loss, model


# ----------------------------------------------------------------------------------- trace
def test_rows_are_every_node_in_execution_order():
    y, x, w, z = graph()
    rows = trace(y)
    # x, w, mul, the constant 1.0, add (= z), pow, sum: 7 nodes.
    assert len(rows) == 7
    assert [r.op for r in rows] == ["leaf", "leaf", "mul", "const", "add", "pow", "sum"]
    indices = [r.tensor._index for r in rows]
    assert indices == sorted(indices)  # creation order
    assert rows[0].tensor is x and rows[1].tensor is w and rows[4].tensor is z and rows[-1].tensor is y
    assert [r.index for r in rows] == list(range(7))
    assert rows[-1] is rows[6] and rows[1:3] == (rows[1], rows[2])
    assert list(iter(rows)) == [rows[i] for i in range(7)]


def test_names_given_names_kept_others_numbered_by_row():
    y, x, w, z = graph()
    rows = trace(y)
    assert rows.names == ["x", "tensor_1", "mul_2", "tensor_3", "add_4", "pow_5", "sum_6"]
    assert rows["add_4"].tensor is z and rows["x"].tensor is x
    # Tensor.name is untouched: still numbered by global creation order.
    assert z.name == f"add_{z._index}"
    assert rows[2].inputs == ("x", "tensor_1") and rows[4].inputs == ("mul_2", "tensor_3")
    with pytest.raises(KeyError, match="add_4"):
        rows["nope"]


def test_shape_dtype_and_value_summaries():
    y, x, w, z = graph()
    rows = trace(y)
    assert rows[0].shape == (2, 2) and rows[1].shape == (2,) and rows[-1].shape == ()
    assert all(r.dtype == np.float64 for r in rows)
    assert rows[1].value == "[0.5, -1]"  # tiny: the values themselves
    assert rows[-1].value == f"{float(y.data):.4g}"
    big = mg.tensor(np.arange(10.0), requires_grad=True)
    row = trace(big * 2.0)[-1]
    # mean, min and max of 2 * [0..9], computed here: 9, 0, 18
    assert row.value == "mean=9 min=0 max=18"


def test_float32_dtype_column():
    x = mg.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    rows = trace((x * 2.0).sum())
    assert {str(r.dtype) for r in rows} == {"float32"}


def test_nonfinite_values_are_counted():
    a = mg.tensor(np.array([1.0, np.inf, np.nan, 2.0, 3.0]), name="a")
    row = trace(a)[0]
    assert row.op == "const" and "(1 nan, 1 inf)" in row.value and "mean=2 min=1 max=3" in row.value


def gradient(rows, name: str) -> np.ndarray:
    found = rows[name].gradient
    assert found is not None, f"trace row {name!r} has no gradient"
    return found


def test_gradients_leaves_after_backward_intermediates_after_backward_steps():
    y, x, w, z = graph()
    assert all(r.grad == "-" and r.gradient is None for r in trace(y))
    y.backward(retain_graph=True)
    rows = trace(y)
    # dy/dx = 2 z w, dy/dw = sum over rows of 2 z x (hand computation)
    zv = x.data * w.data + 1.0
    np.testing.assert_allclose(gradient(rows, "x"), 2 * zv * w.data)
    np.testing.assert_allclose(gradient(rows, "tensor_1"), (2 * zv * x.data).sum(axis=0))
    assert rows["tensor_1"].grad == "[{:.4g}, {:.4g}]".format(*(2 * zv * x.data).sum(axis=0))
    assert rows["add_4"].grad == "-"  # backward() keeps no intermediate gradient
    assert rows["tensor_3"].grad == "-"  # a constant never gets one

    x.grad = w.grad = None
    list(backward_steps(y))
    rows = trace(y)
    np.testing.assert_allclose(gradient(rows, "add_4"), 2 * zv)  # dy/dz = 2z
    np.testing.assert_allclose(gradient(rows, "pow_5"), np.ones((2, 2)))
    assert rows["sum_6"].grad == "1"


def test_trace_works_after_the_graph_was_freed():
    y, x, w, z = graph()
    y.backward()
    assert len(trace(y)) == 7


def test_a_single_leaf_and_a_deep_chain():
    x = mg.tensor([1.0], requires_grad=True, name="x")
    assert trace(x).names == ["x"]
    y = x
    for _ in range(3000):
        y = y + 1.0
    rows = trace(y)
    assert len(rows) == 1 + 2 * 3000  # x, then a constant and an add per step
    assert rows[-1].value == "[3001]"


def test_remembered_gradients_do_not_keep_the_graph_alive():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = h.sum()
    list(backward_steps(y))
    assert trace(y)[2].gradient is not None  # h's gradient is remembered...
    ref = weakref.ref(h)
    del h, y
    gc.collect()
    assert ref() is None  # ...but not at the price of keeping h alive


def test_str_is_a_text_table_and_html_a_table():
    y, x, w, z = graph()
    rows = trace(y)
    lines = str(rows).splitlines()
    assert lines[0].split() == ["#", "op", "name", "inputs", "shape", "dtype", "value", "grad"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + len(rows)
    for line, row in zip(lines[2:], rows):
        assert line.split()[:3] == [str(row.index), row.op, row.name]
    assert "(2, 2)" in lines[2] and "float64" in lines[2]
    assert repr(rows) == str(rows)
    html = rows._repr_html_()
    assert html.startswith("<table") and html.count("<tr>") == 1 + len(rows)
    weird = mg.tensor([1.0], name="<b>")
    assert "&lt;b&gt;" in trace(weird)._repr_html_()


def test_trace_rejects_non_tensors():
    with pytest.raises(TypeError, match="Tensor"):
        trace(np.ones(3))  # type: ignore[arg-type]  # the wrong type is the test


# ------------------------------------------------------------------------------------ draw
def arrows(fig: Figure) -> list[FancyArrowPatch]:
    """The drawn edges: the annotations without a text box, each one's arrow."""
    texts = fig.axes[0].texts
    return [a.arrow_patch for a in texts if isinstance(a, Annotation) and a.get_bbox_patch() is None and a.arrow_patch]


def node_texts(fig):
    return [t for ax in fig.axes for t in ax.texts if t.get_bbox_patch() is not None]


def test_draw_returns_a_figure_with_one_box_per_node_and_one_arrow_per_edge():
    y, x, w, z = graph()
    open_before = plt.get_fignums()
    fig = draw(y)
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == open_before  # not left open in pyplot
    texts = node_texts(fig)
    assert len(texts) == 7
    labels = [t.get_text() for t in texts]
    assert labels[0].splitlines() == ["x", "leaf (2, 2)"]
    assert labels[4].splitlines() == ["add_4", "add (2, 2)"]
    assert len(arrows(fig)) == 6  # x->mul, w->mul, mul->add, 1->add, add->pow, pow->sum
    png = io.BytesIO()
    fig.savefig(png, format="png")  # renders headless
    assert png.getvalue().startswith(b"\x89PNG")


def test_draw_shows_gradient_norms_after_backward():
    y, x, w, z = graph()
    list(backward_steps(y))
    labels = {t.get_text().splitlines()[0]: t.get_text() for t in node_texts(draw(y))}
    assert f"|grad| {np.linalg.norm(x.grad):.3g}" in labels["x"]
    zv = x.data * w.data + 1.0
    assert f"|grad| {np.linalg.norm(2 * zv):.3g}" in labels["add_4"]  # dy/dz = 2z
    assert "|grad|" not in labels["tensor_3"]  # the constant


def test_x_times_x_draws_both_arrows():
    """A value used twice by one op gets one arrow per use: both gradients are added."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    fig = draw(x * x)
    assert len(arrows(fig)) == 2
    styles = [a.get_connectionstyle() for a in arrows(fig)]
    assert {s.rad for s in styles if isinstance(s, ConnectionStyle.Arc3)} == {-0.175, 0.175}  # bowed apart


def test_a_graph_of_hundreds_of_nodes_is_capped_and_says_so():
    x = mg.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x
    for _ in range(200):
        y = y * 1.01 + 0.5
    fig = draw(y.sum(), max_nodes=40)
    boxes = [t for t in fig.axes[0].texts if t.get_bbox_patch() is not None]
    assert len(boxes) == 40
    assert "the 40 nearest to sum_" in fig.axes[0].get_title() and "are not" in fig.axes[0].get_title()
    assert fig.get_figheight() < 40  # a picture, not a poster
    with pytest.raises(ValueError, match="max_nodes"):
        draw(y, max_nodes=0)


def test_nonfinite_node_has_a_red_border():
    a = mg.tensor([1.0, np.inf], name="a")
    b = mg.tensor([1.0, 2.0], requires_grad=True, name="b")
    texts = node_texts(draw((a * b).sum()))
    edges = {t.get_text().splitlines()[0]: t.get_bbox_patch().get_edgecolor() for t in texts}
    assert matplotlib.colors.same_color(edges["a"], "red")
    assert not matplotlib.colors.same_color(edges["b"], "red")


def test_draw_into_a_given_axes():
    y, *_ = graph()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
    try:
        assert draw(y, ax=right) is fig
        assert len(node_texts(fig)) == 7 and not left.texts
    finally:
        plt.close(fig)


def rendered_boxes(fig):
    """The window extents of the node boxes, as savefig renders them."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [t.get_bbox_patch().get_window_extent(renderer) for t in node_texts(fig)]


def test_a_thirty_node_graph_is_readable():
    loss, _ = model_loss()
    list(backward_steps(loss))
    n = len(trace(loss))
    assert 28 <= n <= 40
    fig = draw(loss)
    texts = node_texts(fig)
    assert len(texts) == n
    boxes = rendered_boxes(fig)
    page = fig.bbox
    for box in boxes:  # every box fully on the figure...
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 and box.y1 <= page.y1
    for a, b in itertools.combinations(boxes, 2):  # ...and no two overlap
        assert not a.overlaps(b)
    assert min(t.get_fontsize() for t in texts) >= 8  # at its natural size, not shrunk


def test_a_small_axes_shrinks_everything_alike():
    loss, _ = model_loss()
    fig, ax = plt.subplots(figsize=(6, 6))
    try:
        draw(loss, ax=ax)
        assert max(t.get_fontsize() for t in node_texts(fig)) < 8
        for a, b in itertools.combinations(rendered_boxes(fig), 2):
            assert not a.overlaps(b)
    finally:
        plt.close(fig)


@st.composite
def dags(draw_):
    n = draw_(st.integers(1, 14))
    edges = set()
    for child in range(1, n):
        parents = draw_(st.lists(st.integers(0, child - 1), max_size=3, unique=True))
        edges |= {(p, child) for p in parents}
    widths = draw_(st.lists(st.floats(0.3, 2.0), min_size=n, max_size=n))
    return n, sorted(edges), widths


@given(dags())
def test_layout_layers_edges_downwards_with_room_for_every_box(dag):
    n, edges, widths = dag
    layer, waypoints, xs = layered_layout(edges, n, widths)
    assert min(layer) == 0
    for p, c in edges:
        assert layer[c] > layer[p]  # data flows down
        assert [lay for _, lay in waypoints[(p, c)]] == list(range(layer[p] + 1, layer[c]))
    # Boxes and passing edges in a layer never overlap: neighbours are far enough apart.
    for lay in set(layer):
        items = sorted(
            [(xs[i], widths[i]) for i in range(n) if layer[i] == lay]
            + [(wx, 0.25) for pts in waypoints.values() for wx, wl in pts if wl == lay]
        )
        for (xa, wa), (xb, wb) in itertools.pairwise(items):
            assert xb - xa >= (wa + wb) / 2 - 1e-9
