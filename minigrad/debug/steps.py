"""`backward_steps(t)`: the backward pass one node at a time, for notebooks and debuggers.

    steps = mg.debug.backward_steps(loss)
    step = next(steps)            # the loss node: output_grad is 1.0
    print(step)                   # op, name, the gradient arriving, what goes to each input
    for step in steps:            # or stop anywhere: `breakpoint()` inside this loop works
        ...

It is the engine's own pass (`engine.graph.iter_backward`, which `Tensor.backward` runs to the
end), paused after each node, so exhausting it leaves exactly the `.grad` values that
`t.backward(grad)` would. Pausing is real: a node's step is the moment its gradient is computed,
so a leaf's `.grad` is unchanged until its own step.

Abandoning the generator half-way leaves a half-done backward: some leaves got their gradient,
others not, and (without `retain_graph=True`) the finished part of the graph is freed.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.graph import iter_backward
from ..engine.tensor import Tensor
from ..tables import html_table, shape_str
from .tracing import LEAF, graph_nodes, node_op, read_only, remember_grad, short_names, summarize


@dataclass(frozen=True)
class BackwardStep:
    """One node of a backward pass.

    - `index`: position in the pass (0 is the tensor `backward` started from).
    - `op`: the op that made the node (`"mul"`, `"batchnorm_train"`, ...), or `"leaf"` for the
      step where a leaf (a parameter, an input with `requires_grad=True`) accumulates `.grad`.
    - `name`: the node's name as `trace(t)` shows it: a given name (module parameters are named
      by their path, `"1.gamma"`), else `<op>_<row>` with row the node's position in the trace.
    - `tensor`: the node itself.
    - `output_grad`: dL/d(node), the complete gradient arriving at the node's output (after
      any `register_hook` replaced it).
    - `inputs`: the names of the op's inputs; `input_grads`: what this step sends to each of
      them, aligned with `inputs` (None for an input that does not require grad). A leaf has
      neither: `()`.

    The arrays are read-only views of the engine's own.
    """

    index: int
    op: str
    name: str
    tensor: Tensor
    output_grad: np.ndarray
    inputs: tuple[str, ...]
    input_grads: tuple[np.ndarray | None, ...]

    @property
    def is_leaf(self) -> bool:
        return self.op == LEAF

    def _lines(self) -> list[tuple[str, str, str]]:
        """(direction, what, summary) rows shared by str() and the HTML table."""
        rows = [("in", f"grad of {self.name} {shape_str(self.output_grad.shape)}", summarize(self.output_grad))]
        if self.is_leaf:
            rows.append(("=", f"{self.name}.grad", summarize(self.tensor.grad)))
        for name, grad in zip(self.inputs, self.input_grads):
            rows.append(
                (
                    "out",
                    f"-> {name}" + ("" if grad is None else f" {shape_str(grad.shape)}"),
                    "no grad needed" if grad is None else summarize(grad),
                )
            )
        return rows

    def _title(self) -> str:
        what = "accumulates into .grad" if self.is_leaf else f"backward of {self.op}"
        return f"step {self.index}: {self.name} ({what})"

    def __str__(self) -> str:
        lines = [self._title()]
        width = max(len(r[1]) for r in self._lines())
        lines += [f"  {d:>3}  {n.ljust(width)}  {s}" for d, n, s in self._lines()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"BackwardStep(index={self.index}, op={self.op!r}, name={self.name!r}, "
            f"output_grad shape {shape_str(self.output_grad.shape)}, inputs={self.inputs!r})"
        )

    def _repr_html_(self) -> str:
        return html_table(("", "gradient", "value"), self._lines(), caption=self._title())


def backward_steps(t: Tensor, grad: Any = None, retain_graph: bool = False) -> Generator[BackwardStep, None, None]:
    """A generator over the backward pass of `t`, yielding a `BackwardStep` after each node.

    Same arguments and the same result as `t.backward(grad, retain_graph)` once exhausted
    (it is the same code: `engine.graph.iter_backward`). Bad arguments (a non-scalar `t`
    without `grad`, a `grad` of the wrong shape) raise here, not at the first `next()`.
    Each node's incoming gradient is also kept, for as long as the node lives, so that
    `trace(t)` and `draw(t)` can show it.
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"backward_steps: expected a Tensor, got {type(t).__name__}")
    initial = t._initial_grad(grad)
    # Names as `trace(t)` shows them; the graph is walked now, before backward frees anything.
    names = short_names(graph_nodes(t))
    return _steps(t, initial, retain_graph, names)


def _steps(
    t: Tensor, grad: np.ndarray, retain_graph: bool, names: dict[int, str]
) -> Generator[BackwardStep, None, None]:
    freed: dict[int, Tensor] = {}
    for index, raw in enumerate(iter_backward(t, grad, retain_graph, freed)):
        tensor, output_grad = raw.tensor, read_only(raw.output_grad)
        if tensor._node is not None:  # a leaf keeps its own `.grad`
            remember_grad(tensor, output_grad)
            if id(tensor) in freed:  # the stand-in a released graph shows in `trace` and `draw`
                remember_grad(freed[id(tensor)], output_grad)
        inputs = tuple(names[id(p)] for p in raw.inputs)
        yield BackwardStep(
            index=index,
            op=node_op(tensor),
            name=names[id(tensor)],
            tensor=tensor,
            output_grad=output_grad,
            inputs=inputs,
            input_grads=tuple(read_only(g) for g in raw.input_grads),
        )
