"""The reverse-mode pass: `Node` (one op application, its local backward, its release), then
each node's local backward, newest first (the order of creation, reversed).

Written as a generator so that `Tensor.backward` and `minigrad.debug.backward_steps` share one
implementation: `backward` simply runs it to the end, the debugger pauses between its steps.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Iterator
from heapq import heappop, heappush
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

    def release(self, freed: dict[int, Tensor], pending: dict[Tensor, np.ndarray] | None = None) -> None:
        """Drop the arrays saved for backward and the intermediate inputs' values.

        The graph's shape stays (for the "already freed" error, `trace` and `draw`): each
        intermediate input is replaced by a `FreedTensor`, shared through `freed` so that a tensor
        used twice stays one node. Without this, holding on to a loss (`losses.append(loss)`)
        would keep every activation of its step alive. Given `pending` (the gradients waiting in
        the pass of `Tensor.backward`, whose steps nobody reads), an input that nothing refers to
        but this node, its only consumer, becomes that `FreedTensor` itself: no new object per
        activation.
        """
        self.released = True
        self.__dict__.clear()  # what the forward saved
        inputs = self.inputs
        for t in inputs:  # no enumerate(): its reused result tuple would hold `t` once more
            if t._node is None:
                continue
            # Waiting in `pending`, `t` has a consumer that ran before and made its stand-in.
            if pending is None or t in pending or sys.getrefcount(t) > _HELD_BY_NODE or not t._become_freed():
                break
        else:
            return  # every intermediate input freed in place: the tuple stays
        # Someone else holds an input, or this is a debugger's pass: shared stand-ins.
        self.inputs = tuple([t if t._node is None else t._stand_in(freed) for t in inputs])


_index_of = operator.attrgetter("_index")  # creation order: the sort key of both passes


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor behind `root` that requires grad, inputs before outputs, in the reverse of
    the order the backward pass takes them: op outputs newest first (`Tensor._index`, as the
    heap of `Tensor.backward`'s pass takes them, and PyTorch's engine: an op's output is made
    after its inputs), each leaf right after its last consumer, when its gradient is complete.
    The same order of nodes in both passes gives the same sums, bit for bit."""
    if root._node is None:
        return [root]
    outputs, seen, stack = [root], {root}, [root]  # seen: by identity, as Tensor hashes
    last_consumer: dict[Tensor, Tensor] = {}  # leaf -> its consumer of the lowest index
    while stack:
        tensor = stack.pop()
        for parent in tensor._node.inputs:  # type: ignore[union-attr]  # only op outputs are stacked
            if not parent.requires_grad:
                continue
            if parent._node is None:
                consumer = last_consumer.get(parent)
                if consumer is None or tensor._index < consumer._index:
                    last_consumer[parent] = tensor
            elif parent not in seen:
                seen.add(parent)
                outputs.append(parent)
                stack.append(parent)
    leaves_after: dict[Tensor, list[Tensor]] = {}
    for leaf, consumer in last_consumer.items():
        leaves_after.setdefault(consumer, []).append(leaf)
    order: list[Tensor] = []
    for tensor in sorted(outputs, key=_index_of):
        order += sorted(leaves_after.get(tensor, ()), key=_index_of)  # taken after `tensor`, newest first
        order.append(tensor)
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
    to its end at the first `next`); a caller that reads the steps leaves it False. That pass
    walks no graph first: it takes the newest tensor that has a gradient waiting (a heap on
    `Tensor._index`; an op's output is made after its inputs, so all its consumers have run).
    Its leaves are no steps either: their gradients are summed on the side and reach `.grad`
    (through their hooks) once every node has run, so a pass that fails half-way adds nothing
    to any `.grad`.
    """
    pending: dict[Tensor, np.ndarray] = {root: grad}  # by identity: Tensor hashes as object does
    handed_out: set[int] = {id(grad)}  # arrays some `.grad` may already hold: copy before keeping
    freed = {} if freed is None else freed  # intermediate tensors of released nodes, by id (see Node.release)
    donate = donate and _SOLE > 0
    # With donate, (-index, id, tensor) of each tensor in `pending` (the id: no tensors compared).
    queue: list = [(-root._index, id(root), root)] if donate else topological_order(root)
    queued = pending if donate else None  # a gradient's first arrival queues its tensor
    leaf_grads: dict[Tensor, np.ndarray] = {}  # with donate: each leaf's sum, kept to the end
    pop, take = queue.pop, pending.pop
    step = tuple.__new__  # RawStep(...) without NamedTuple's Python-level __new__ (once per node)
    anomaly = flags.detect_anomaly  # read once: a per-thread flag costs a lookup per read
    input_grads: tuple[np.ndarray | None, ...] | None = None
    parent = parent_grad = previous = None
    newest = -root._index  # the heap's last key: keys only grow, or a consumer was older than its input
    while queue:
        # Popped, not iterated: once processed, a tensor (and the activation it holds) is freed
        # as the pass goes instead of at its end (peak memory: benchmarks/README.md).
        if donate:
            key, _, tensor = heappop(queue)
            if key < newest:
                raise RuntimeError(
                    f"backward: tensor {tensor.name!r} is numbered after a tensor computed from it "
                    "(Tensor._index changed?), so its gradient would come incomplete; the pass stopped"
                )
            newest = key
        else:
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
            node.release(freed, queued)  # may replace node.inputs; gradients still go to `inputs`
        for parent, parent_grad in zip(inputs, input_grads):
            if parent_grad is None:
                continue
            sums = leaf_grads if donate and parent._node is None else pending
            previous = sums.get(parent)
            if previous is None:
                sums[parent] = parent_grad
                if sums is queued:
                    heappush(queue, (-parent._index, id(parent), parent))
            elif (
                donate and previous.base is None and sys.getrefcount(previous) <= _SOLE + 1 and previous.flags.writeable
            ):
                previous += parent_grad  # only the dict and this frame hold it: sum in place
            else:
                sums[parent] = np.asarray(previous + parent_grad)
        if not donate:
            yield step(RawStep, (tensor, g, input_grads, inputs))
        # So that the reference counts above see only `g`, and the next node's inputs only the pass.
        input_grads = parent = parent_grad = previous = None
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
#: An intermediate input during its only consumer's `release` in `Tensor.backward`'s pass: that
#: node's inputs and (as in `_SOLE`) the loop variable. No more means nothing else can see it.
_HELD_BY_NODE = _SOLE + 1 if _SOLE > 0 else 0


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
