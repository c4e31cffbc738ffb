"""In-place change detection (PyTorch's version counters, made cheap).

Every in-place change minigrad makes to a tensor's array (`bump`) advances one global clock and
records, per tensor, its version and when it changed. A graph node remembers the clock at its
creation; its backward is checked only when the clock has moved since (`check`), and then only
against the tensors changed after it: an array the op saved that shares memory with one of them
was modified in place, so its gradient would be silently wrong.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..tables import shape_str

if TYPE_CHECKING:
    from .graph import Node
    from .tensor import Tensor


class _Log:
    """The clock, and per changed tensor (by id, latest change last) [clock, version, ref, by]."""

    def __init__(self) -> None:
        self.clock = 0
        self.changes: dict[int, list[Any]] = {}

    def bump(self, tensor: Tensor, by: str) -> None:
        self.clock += 1
        key = id(tensor)
        entry = self.changes.pop(key, None)
        version = 1 if entry is None else entry[1] + 1
        ref = entry[2] if entry is not None else weakref.ref(tensor, self._forget(key))
        self.changes[key] = [self.clock, version, ref, by]  # re-inserted: the dict stays in clock order

    def _forget(self, key: int) -> Callable[[Any], None]:
        """The callback that drops a dead tensor's entry (its id may be reused)."""

        def forget(_ref: Any) -> None:
            self.changes.pop(key, None)

        return forget

    def version(self, tensor: Tensor) -> int:
        entry = self.changes.get(id(tensor))
        return 0 if entry is None else entry[1]

    def check(self, node: Node, output: Tensor) -> None:
        """Raise if an array `node` saved was changed in place after `node` was created."""
        saved = _saved_arrays(node.ctx.__dict__.values()) if node.ctx is not None else []
        if not saved:
            return
        for clock, version, ref, by in reversed(list(self.changes.values())):
            if clock <= node.stamp:
                break  # older changes happened before the forward: harmless
            changed = ref()
            if changed is None:
                continue
            if any(np.may_share_memory(a, changed.data) for a in saved):
                raise RuntimeError(
                    f"backward: '{node.op.name}' (which made {output.name!r}) saved the array of tensor "
                    f"{changed.name!r} (shape {shape_str(changed.shape)}) for its backward, but that "
                    f"tensor was modified in place since the forward ({by}; it is at version "
                    f"{version} now), so its gradient would be wrong; run the forward again after "
                    "the change, or change a copy"
                )


def _saved_arrays(values: Any) -> list[np.ndarray]:
    out = []
    for v in values:
        if isinstance(v, np.ndarray):
            out.append(v)
        elif isinstance(v, (tuple, list)):
            out.extend(a for a in v if isinstance(a, np.ndarray))
    return out


log = _Log()


def bump(tensor: Tensor, by: str) -> None:
    """Record an in-place change of `tensor.data` made by `by` (e.g. "SGD.step")."""
    log.bump(tensor, by)
