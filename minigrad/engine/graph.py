"""The reverse-mode pass: `Node` (one op application, its local backward, its release), the
topological order, then each node's local backward in reverse.

Written as a generator so that `Tensor.backward` and `minigrad.debug.backward_steps` share one
implementation: `backward` simply runs it to the end, the debugger pauses between its steps.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..ops.base import Context, Function, unbroadcast
from ..tables import shape_str
from .anomaly import AnomalyError, describe_input, describe_nonfinite, user_line
from .inplace import log as inplace_log
from .mode import flags

if TYPE_CHECKING:
    from .tensor import Tensor


class RawStep(NamedTuple):
    """One node of the backward pass: the tensor, the gradient arriving, what it sends to which input."""

    tensor: Tensor
    output_grad: np.ndarray
    input_grads: tuple[np.ndarray | None, ...]
    inputs: tuple[Tensor, ...]


class Node(Context):
    """The record of one op application: the op and its input tensors. It is also the op's `ctx`
    (as PyTorch's is its backward node): what the forward saves lands in the node's `__dict__`,
    the engine's own fields are slots, so the in-place check reads the saved arrays alone."""

    __slots__ = ("created_at", "grad_donated", "inputs", "needs_input_grad", "op", "released", "stamp")

    def __init__(
        self,
        op: type[Function],
        inputs: tuple[Tensor, ...],
        needs_input_grad: tuple[bool, ...] | None = None,
        anomaly: bool | None = None,
    ) -> None:
        self.op, self.inputs = op, inputs
        if needs_input_grad is None:  # `apply` passes the flags it has already read
            needs_input_grad = tuple(t.requires_grad for t in inputs)
        self.needs_input_grad, self.grad_donated = needs_input_grad, False
        self.released = False  # True once backward has run without retain_graph
        self.stamp = inplace_log.clock  # in-place changes after this may invalidate what was saved
        if anomaly is None:
            anomaly = flags.detect_anomaly
        self.created_at: str | None = user_line() if anomaly else None

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """The op's local backward, then (for every op alike) un-broadcast and dtype cast."""
        if self.released:
            raise RuntimeError(
                f"backward: the graph through '{self.op.name}' was already freed by an earlier "
                "backward(); pass retain_graph=True to the first backward() to go through it twice"
            )
        grads = self.op.backward(self, grad)
        if type(grads) is not tuple:
            grads = (grads,)
            if isinstance(grads[0], (list, str, bytes)):
                raise TypeError(
                    f"{self.op.name}.backward returned a {type(grads[0]).__name__}; return one array "
                    "(one input) or a tuple of arrays or None, one per input"
                )
        inputs = self.inputs
        if len(grads) != len(inputs):
            raise RuntimeError(f"{self.op.name}.backward returned {len(grads)} gradients for {len(inputs)} inputs")
        # The usual case passes as it is: each gradient None or an array of its input's shape and
        # dtype, for an input that requires grad (no list built per node: benchmarks/README.md).
        for parent, g in zip(inputs, grads):
            if g is not None:
                data = parent.data
                if type(g) is not np.ndarray or g.shape != data.shape or g.dtype is not data.dtype:
                    break
                if not parent.requires_grad:
                    break
        else:
            return grads
        return tuple([self._conform(position, parent, g) for position, (parent, g) in enumerate(zip(inputs, grads))])

    def _conform(self, position: int, parent: Tensor, g: object) -> np.ndarray | None:
        """Gradient `g` for input `position` made an array of the input's shape and dtype (summed
        over broadcast axes), None if that input does not require grad, or an error naming the op."""
        if g is None or not parent.requires_grad:
            return None
        if type(g) is not np.ndarray:
            if not isinstance(g, (np.ndarray, np.generic, int, float)):
                raise TypeError(
                    f"{self.op.name}.backward returned a {type(g).__name__} for input "
                    f"{position}; expected an array or None"
                )
            g = np.asarray(g)
        data = parent.data
        if g.shape != data.shape:
            g = unbroadcast(g, data.shape, self.op.name)
        if g.dtype is not data.dtype and g.dtype != data.dtype:
            g = g.astype(data.dtype)
        return g

    def release(self, freed: dict[int, Tensor], in_place: bool = False) -> None:
        """Drop the arrays saved for backward and the intermediate inputs' values.

        The graph's shape stays (for the "already freed" error, `trace` and `draw`): each
        intermediate input is replaced by a `FreedTensor`, shared through `freed` so that a tensor
        used twice stays one node. Without this, holding on to a loss (`losses.append(loss)`)
        would keep every activation of its step alive. With `in_place` (the pass of
        `Tensor.backward`, whose steps nobody reads), an input that nothing refers to but this
        node and the pass's order becomes that `FreedTensor` itself: no new object per activation.
        """
        self.released = True
        self.__dict__.clear()  # what the forward saved
        inputs = self.inputs
        for t in inputs:  # no enumerate(): its reused result tuple would hold `t` once more
            if t._node is not None and not (in_place and sys.getrefcount(t) <= _HELD_BY_PASS and t._become_freed()):
                break
        else:
            return  # every intermediate input freed in place: the tuple stays
        # Someone else holds an input, or this is a debugger's pass: shared stand-ins.
        self.inputs = tuple([t if t._node is None else t._stand_in(freed) for t in inputs])


def topological_order(root: Tensor, leaves: bool = True) -> list[Tensor]:
    """Every tensor behind `root` that requires grad, inputs before outputs (iterative DFS, the
    inputs of a node taken last to first; a leaf is placed as soon as it is met: half the tensors
    of a training step are leaves, benchmarks/README.md, "Engine"). `leaves=False` leaves the
    leaves out (but for a leaf `root`): `Tensor.backward`'s pass sums their gradients on the side."""
    order: list[Tensor] = []
    # Keyed by the tensors themselves: Tensor keeps object's identity hash and equality, so this
    # is `id()` without a call per lookup (benchmarks/README.md, "Engine").
    visited = {root}
    if root._node is None:
        return [root]
    stack = [(root, reversed(root._node.inputs))]
    push, pop, place, seen = stack.append, stack.pop, order.append, visited.add  # bound once: per tensor
    while stack:
        tensor, parents = stack[-1]
        for parent in parents:
            node = parent._node
            if node is None:
                if leaves and parent.requires_grad and parent not in visited:
                    seen(parent)
                    place(parent)
            elif parent.requires_grad and parent not in visited:
                seen(parent)
                push((parent, reversed(node.inputs)))
                break
        else:  # every input placed: the tensor follows them
            pop()
            place(tensor)
    return order


def iter_backward(
    root: Tensor,
    grad: np.ndarray,
    retain_graph: bool,
    freed: dict[int, Tensor] | None = None,
    donate: bool = False,
) -> Iterator[RawStep]:
    """Run reverse mode from `root`, yielding after each node.

    A tensor is processed once all of its consumers have sent their gradient, so the gradient it
    sees (and hands to its hooks) is complete. Leaves are nodes too: a leaf's `.grad` changes at
    its own step, never earlier, so a paused pass shows exactly what has been computed.
    `freed` collects, by id of the real tensor, the `FreedTensor` that stands in for it in the
    released graph (pass a dict to see them, as the debugger does).

    `donate=True` (what `Tensor.backward` passes, which looks at no step) lets an op write into
    the gradient it receives when nothing but the engine refers to that array (`ctx.grad_donated`)
    and sums gradients in place in the same case: a step's `output_grad` could then be
    overwritten after it is seen, so with `donate=True` the pass yields no steps at all (it runs
    to its end at the first `next`); a caller that reads the steps leaves it False. Its leaves
    are no steps either: their gradients are summed on the side and reach `.grad` (through their
    hooks) once every node has run, so a pass that fails half-way adds nothing to any `.grad`.
    """
    pending: dict[Tensor, np.ndarray] = {root: grad}  # by identity, as in topological_order
    handed_out: set[int] = {id(grad)}  # arrays some `.grad` may already hold: copy before keeping
    freed = {} if freed is None else freed  # intermediate tensors of released nodes, by id (see Node.release)
    donate = donate and _SOLE > 0
    order = topological_order(root, leaves=not donate)
    leaf_grads: dict[Tensor, np.ndarray] = {}  # with donate: each leaf's sum, kept to the end
    pop, take = order.pop, pending.pop
    step = tuple.__new__  # RawStep(...) without NamedTuple's Python-level __new__ (once per node)
    anomaly = flags.detect_anomaly  # read once: a per-thread flag costs a lookup per read
    input_grads: tuple[np.ndarray | None, ...] | None = None
    parent_grad = previous = None
    while order:
        # Popped, not iterated: once processed, a tensor (and the activation it holds) is freed
        # as the pass goes instead of at its end (peak memory: benchmarks/README.md).
        tensor = pop()
        g = take(tensor, None)
        if g is None:  # nothing flowed here (every path to it sent None)
            continue
        if tensor._hooks:
            g = _run_hooks(tensor, g)
        node = tensor._node
        if node is None:
            _accumulate_leaf(tensor, g, handed_out)
            if not donate:
                yield step(RawStep, (tensor, g, (), ()))
            continue
        if tensor._retains_grad:
            _accumulate_leaf(tensor, g, handed_out)
        if node.stamp != inplace_log.clock:  # something changed in place since this forward
            inplace_log.check(node, tensor)
        if not node.released:
            # Buffer donation: `g` may become the op's result when only this frame refers to it
            # (a hook, a `.grad`, a view or a debugger holding it counts). benchmarks/README.md, "Engine".
            node.grad_donated = donate and g.base is None and sys.getrefcount(g) <= _SOLE and g.flags.writeable
        inputs, input_grads = node.inputs, node.backward(g)
        if anomaly:
            _check_gradients(node, inputs, input_grads)
        if not retain_graph:
            node.release(freed, donate)  # may replace node.inputs; gradients still go to `inputs`
        for parent, parent_grad in zip(inputs, input_grads):
            if parent_grad is None:
                continue
            sums = leaf_grads if donate and parent._node is None else pending
            previous = sums.get(parent)
            if previous is None:
                sums[parent] = parent_grad
            elif (
                donate and previous.base is None and sys.getrefcount(previous) <= _SOLE + 1 and previous.flags.writeable
            ):
                previous += parent_grad  # only the dict and this frame hold it: sum in place
            else:
                sums[parent] = np.asarray(previous + parent_grad)
        if not donate:
            yield step(RawStep, (tensor, g, input_grads, inputs))
        input_grads = parent_grad = previous = None  # so that the reference counts above see only `g`
    for leaf, g in leaf_grads.items():  # Tensor.backward's leaves, their gradients complete
        _accumulate_leaf(leaf, _run_hooks(leaf, g) if leaf._hooks else g, handed_out)


def _sole_reference_count() -> int:
    """What `sys.getrefcount` reports for an array held by one local variable (0 where the
    interpreter has no reference counts: no donation there)."""
    if not hasattr(sys, "getrefcount"):
        return 0
    array = np.empty(0)
    return sys.getrefcount(array)


_SOLE = _sole_reference_count()
#: An intermediate input during its consumer's `release`: that node's inputs, the pass's order,
#: and (as in `_SOLE`) the loop variable. No more means nothing outside the graph can see it.
_HELD_BY_PASS = _SOLE + 2 if _SOLE > 0 else 0


def _run_hooks(tensor: Tensor, g: np.ndarray) -> np.ndarray:
    """Call the tensor's gradient hooks in order; a returned array replaces the gradient."""
    for hook in tuple(tensor._hooks.values()) if tensor._hooks else ():
        replaced = hook(g)
        if replaced is not None:
            replaced = np.asarray(replaced)
            where = f"hook on {tensor.name!r}: returned a gradient"
            if replaced.dtype.kind not in "biuf":
                raise TypeError(f"{where} of dtype {replaced.dtype}; a gradient must be real numbers")
            if replaced.shape != tensor.shape:
                raise ValueError(f"{where} of shape {shape_str(replaced.shape)}, expected {shape_str(tensor.shape)}")
            g = replaced.astype(tensor.dtype, copy=False)
    return g


def _accumulate_leaf(leaf: Tensor, grad: np.ndarray, handed_out: set[int]) -> None:
    """`leaf.grad += grad`, as PyTorch: gradients accumulate until `zero_grad()` (also for an
    op's output after `retain_grad()`)."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)  # NumPy sums of 0-d arrays give scalars; .grad is always an array
    if leaf.grad is None:
        # Keep the array itself when nobody else can see it; a view or an array already given to
        # another leaf (`a + b` sends one array to both) must be copied, or the two would alias.
        key = id(grad)
        if grad.base is not None or key in handed_out or not grad.flags.writeable:
            grad = grad.copy()
            key = id(grad)
        handed_out.add(key)
        leaf.grad = grad if grad.dtype is leaf.data.dtype else grad.astype(leaf.data.dtype, copy=False)
    else:
        leaf.grad = np.asarray(leaf.grad + grad)


def _check_gradients(node: Node, inputs: tuple[Tensor, ...], input_grads: tuple[np.ndarray | None, ...]) -> None:
    for position, (parent, parent_grad) in enumerate(zip(inputs, input_grads)):
        if parent_grad is None:
            continue
        problem = describe_nonfinite(np.asarray(parent_grad))
        if problem:
            raise AnomalyError(
                f"detect_anomaly: the backward of '{node.op.name}' produced a non-finite gradient "
                f"for its {describe_input(position, parent)} (shape {shape_str(np.shape(parent_grad))}: {problem}); "
                f"the op was created at {node.created_at or '<outside detect_anomaly>'}"
            )
