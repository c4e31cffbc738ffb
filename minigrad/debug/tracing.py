"""`trace(t)`: every node of the graph behind a tensor, in the order it was computed, as a table.

    >>> loss = ((x @ w + b).relu() ** 2).mean()
    >>> print(mg.debug.trace(loss))
     #  op      name      inputs              shape   dtype    value                        grad
     0  leaf    x         -                   (4, 3)  float64  mean=0.12 min=-1.1 max=2.3   -
     ...

Names. A tensor with a name of its own (a module parameter `1.gamma`, `mg.tensor(..., name="x")`)
keeps it. An unnamed tensor is shown as `<op>_<row>`, where row is its position in this trace,
so `trace(loss)[5]` is `mul_5` and the numbers stay small. `Tensor.name` (numbered by global
creation order, e.g. `mul_8123`) stays the identity; `row.tensor` is the tensor itself.

Ops. `leaf` is an input that requires grad (a parameter; its `.grad` accumulates); `const` is an
input that does not (data, or a Python number used in an op). Every other row shows the op's name.

Gradients. A leaf shows its `.grad`. An intermediate tensor keeps no gradient after `backward()`
(that would cost memory on every training step), so it shows `-`, unless a
`mg.debug.backward_steps` pass went through it: that pass remembers the gradient each node
received (weakly: it dies with the tensor), and the trace shows the latest one.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from ..engine.tensor import FreedTensor, Tensor
from ..tables import html_table, shape_str, text_table

#: The gradient each tensor received in the latest `backward_steps` pass through it, by
#: `id(tensor)`, next to a weak reference whose callback drops the entry when the tensor dies:
#: the debugger never keeps a finished graph alive (and tensors need not be hashable).
_last_grads: dict[int, tuple[weakref.ref, np.ndarray]] = {}


@overload
def read_only(array: np.ndarray) -> np.ndarray: ...


@overload
def read_only(array: None) -> None: ...


def read_only(array: np.ndarray | None) -> np.ndarray | None:
    """A read-only view: looking at a step or a trace must not be able to change the engine's arrays."""
    if array is None:
        return None
    view = np.asarray(array).view()  # np.asarray: a 0-d gradient may arrive as a NumPy scalar
    view.flags.writeable = False
    return view


def remember_grad(tensor: Tensor, grad: np.ndarray) -> None:
    """Keep `grad` as the latest gradient that reached `tensor` (used by `backward_steps`)."""
    key = id(tensor)
    entry = _last_grads.get(key)
    if entry is not None and entry[0]() is tensor:
        _last_grads[key] = (entry[0], grad)
        return

    def forget(_: weakref.ref) -> None:
        _last_grads.pop(key, None)

    _last_grads[key] = (weakref.ref(tensor, forget), grad)


LEAF = "leaf"
CONST = "const"


# ------------------------------------------------------------------------------ graph walking
def graph_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor behind `root` (constants included), in creation order (`Tensor._index`).

    Creation order is execution order: a tensor is created when the op that makes it runs, after
    its inputs exist. Iterative, so a 10,000-op chain is fine.
    """
    seen: dict[int, Tensor] = {}
    stack = [root]
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen[id(tensor)] = tensor
        if tensor._node is not None:
            stack.extend(t for t in tensor._node.inputs if id(t) not in seen)
    return sorted(seen.values(), key=lambda t: t._index)


def node_op(tensor: Tensor) -> str:
    """The op that made `tensor`, or `leaf` / `const` for an input (see the module docstring)."""
    if tensor._node is not None:
        return tensor._node.op.name
    return LEAF if tensor.requires_grad else CONST


def short_names(nodes: Sequence[Tensor]) -> dict[int, str]:
    """`id(tensor) -> name` for a trace: given names kept, others `<op>_<row>` (`tensor_<row>`
    for an unnamed input), row being the position in `nodes`."""
    names = {}
    for row, tensor in enumerate(nodes):
        if tensor._name is not None:
            names[id(tensor)] = tensor._name
        else:
            prefix = tensor._node.op.name if tensor._node is not None else "tensor"
            names[id(tensor)] = f"{prefix}_{row}"
    return names


# -------------------------------------------------------------------------------- summaries
def _number(x: float) -> str:
    return f"{x + 0.0:.4g}"  # + 0.0 turns -0.0 (relu of a negative) into 0.0


def summarize(array: np.ndarray | None, tiny: int = 4) -> str:
    """A short description of an array: its values when it has at most `tiny` elements,
    else `mean=.. min=.. max=..`; NaN/inf are counted, since they are what one debugs."""
    if array is None:
        return "-"
    array = np.asarray(array)
    if array.size == 0:
        return "(empty)"
    if array.dtype.kind not in "biufc":
        return f"<{array.dtype}>"
    if array.size <= tiny:
        flat = ", ".join(_number(float(v)) for v in array.reshape(-1))
        return flat if array.ndim == 0 else f"[{flat}]"
    finite = np.isfinite(array) if array.dtype.kind in "fc" else np.ones(array.shape, dtype=bool)
    parts = []
    if finite.any():
        values = array[finite]
        with np.errstate(over="ignore"):  # a mean of huge values may overflow: show inf, don't warn
            mean = float(values.mean())
        parts.append(f"mean={_number(mean)} min={_number(float(values.min()))} max={_number(float(values.max()))}")
    n_nan = int(np.isnan(array).sum()) if array.dtype.kind in "fc" else 0
    n_inf = int(np.isinf(array).sum()) if array.dtype.kind in "fc" else 0
    if n_nan or n_inf:
        parts.append(f"({n_nan} nan, {n_inf} inf)")
    return " ".join(parts)


def known_grad(tensor: Tensor) -> np.ndarray | None:
    """The gradient a trace or a drawing shows: a leaf's `.grad`, else the one remembered from
    the latest `backward_steps` pass (None if neither)."""
    if tensor._node is None:
        return tensor.grad
    entry = _last_grads.get(id(tensor))
    return entry[1] if entry is not None and entry[0]() is tensor else None


# ------------------------------------------------------------------------------------ trace
@dataclass(frozen=True)
class TraceRow:
    """One node of a trace.

    `op`: the op's name, `leaf` or `const`; `name`: the short name (module docstring);
    `inputs`: the short names of the op's inputs; `value`/`grad`: the summaries shown in the
    table; `gradient`: the array behind `grad` (None when unknown); `tensor`: the tensor itself.
    """

    index: int
    op: str
    name: str
    inputs: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: np.dtype
    value: str
    grad: str
    gradient: np.ndarray | None
    tensor: Tensor

    def cells(self) -> list[str]:
        return [
            str(self.index),
            self.op,
            self.name,
            ", ".join(self.inputs) or "-",
            shape_str(self.shape),
            str(self.dtype),
            self.value,
            self.grad,
        ]


class Trace(Sequence[TraceRow]):
    """The rows of `trace(t)`: a read-only sequence (`len`, `trace[i]`, slicing, iteration),
    also indexable by name (`trace["1.gamma"]`). `str()` is a text table, `_repr_html_()` an
    HTML one (what a notebook shows)."""

    HEADER = ("#", "op", "name", "inputs", "shape", "dtype", "value", "grad")

    def __init__(self, rows: Sequence[TraceRow]) -> None:
        self._rows = tuple(rows)

    @overload
    def __getitem__(self, key: int | str) -> TraceRow: ...

    @overload
    def __getitem__(self, key: slice) -> tuple[TraceRow, ...]: ...

    def __getitem__(self, key: int | str | slice) -> TraceRow | tuple[TraceRow, ...]:
        if isinstance(key, str):
            for row in self._rows:
                if row.name == key:
                    return row
            raise KeyError(f"trace: no node named {key!r}; names are {', '.join(r.name for r in self._rows)}")
        return self._rows[key]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[TraceRow]:
        return iter(self._rows)

    @property
    def names(self) -> list[str]:
        return [row.name for row in self._rows]

    def __str__(self) -> str:
        return text_table(self.HEADER, [row.cells() for row in self._rows], right=(0,))  # the row number

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return html_table(
            self.HEADER, [row.cells() for row in self._rows], caption=f"{len(self._rows)} nodes, in execution order"
        )


def trace(t: Tensor) -> Trace:
    """Every node of the graph behind `t` (inputs, constants and op outputs) in execution order.

    Each row: op (`leaf`/`const` for inputs), name, inputs, shape, dtype, a value summary and a
    gradient summary (see the module docstring for names and which gradients are known).
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"trace: expected a Tensor, got {type(t).__name__}")
    nodes = graph_nodes(t)
    names = short_names(nodes)
    rows = []
    for row, tensor in enumerate(nodes):
        grad = known_grad(tensor)
        inputs = tuple(names[id(p)] for p in tensor._node.inputs) if tensor._node is not None else ()
        rows.append(
            TraceRow(
                index=row,
                op=node_op(tensor),
                name=names[id(tensor)],
                inputs=inputs,
                shape=tuple(tensor.shape),
                dtype=tensor.dtype,
                value="(freed)" if isinstance(tensor, FreedTensor) else summarize(tensor.data),
                grad=summarize(grad),
                gradient=grad,
                tensor=tensor,
            )
        )
    return Trace(rows)
