"""In-place change detection (PyTorch's version counters, made cheap).

Every in-place change minigrad makes to a tensor's array (`bump`) advances one global clock and
records, per tensor, its version and when it changed, and, per memory owner (the array at the
end of the changed array's `.base` chain), when it last changed. A graph node remembers the clock
at its creation; its backward is checked only when the clock has moved since (`check`), and then
only the arrays it saved whose owner changed after it (or whose memory no array owns) are compared
(`np.may_share_memory`) with the arrays changed since: such an array was modified in place, so its
gradient would be silently wrong. The owner lookup keeps the check at a few dictionary lookups per
node in a training step, where BatchNorm's moving statistics move the clock during every forward
(benchmarks/README.md, "Engine").
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..tables import shape_str

if TYPE_CHECKING:
    from .graph import Node
    from .tensor import Tensor


class _Log:
    """The clock; per changed tensor (by id) [clock, version, ref, by, array]; per memory owner
    (by id) the clock of its latest change; the clock of the latest change to memory no array owns."""

    def __init__(self) -> None:
        self.clock = 0
        self.changes: dict[int, list[Any]] = {}
        self.owners: dict[int, int] = {}
        self.foreign = 0

    def bump(self, tensor: Tensor, by: str) -> None:
        """Record one in-place change of `tensor.data` made by `by`."""
        self.bump_all((tensor,), by)

    def bump_all(self, tensors: Sequence[Tensor], by: str) -> None:
        """Record an in-place change of each tensor's array, all made by `by` at one tick of the
        clock (an optimiser step changes every parameter; a BatchNorm forward its three buffers).

        One loop with the dictionaries bound once: the optimiser and BatchNorm call it at every
        training step (benchmarks/README.md, "Engine")."""
        self.clock = clock = self.clock + 1
        owners, changes = self.owners, self.changes
        for tensor in tensors:
            data = tensor.data
            owner = data if data.base is None else _owner(data)
            if owner is None:
                self.foreign = clock
            else:
                owners[id(owner)] = clock
            key = id(tensor)
            entry = changes.get(key)
            if entry is None:
                changes[key] = [clock, 1, weakref.ref(tensor, self._forget(key)), by, data]
                if len(owners) > 2 * len(changes) + 64:
                    self._prune_owners()
                    owners = self.owners
            else:  # updated in place: one dict lookup per change
                entry[0], entry[3], entry[4] = clock, by, data
                entry[1] += 1

    def _forget(self, key: int) -> Callable[[Any], None]:
        """The callback that drops a dead tensor's entry (its id may be reused)."""

        def forget(_ref: Any) -> None:
            self.changes.pop(key, None)

        return forget

    def _prune_owners(self) -> None:
        """Keep only the owners of live tensors' latest changes (dead tensors' ids may be reused)."""
        owners: dict[int, int] = {}
        for clock, _, _, _, data in self.changes.values():
            owner = _owner(data)
            if owner is not None:
                owners[id(owner)] = max(clock, owners.get(id(owner), 0))
        self.owners = owners

    def version(self, tensor: Tensor) -> int:
        entry = self.changes.get(id(tensor))
        return 0 if entry is None else entry[1]

    def check(self, node: Node, output: Tensor) -> None:
        """Raise if an array `node` saved was changed in place after `node` was created."""
        if node.released:
            return
        stamp, changed_at = node.stamp, self.owners.get
        exact = self.foreign > stamp  # memory no array owns changed since: compare every array
        for value in node.__dict__.values():  # what the op saved (the engine's fields are slots)
            if type(value) is np.ndarray and value.base is None:  # the usual case, inline
                if changed_at(id(value), 0) > stamp or exact:
                    self._check_array(node, output, value)
            elif isinstance(value, np.ndarray) or (
                isinstance(value, (tuple, list)) and any(map(isinstance, value, _ARRAY_TYPES))
            ):  # a tuple of axes or flags is passed over in C
                for saved in (value,) if isinstance(value, np.ndarray) else value:
                    if not isinstance(saved, np.ndarray):
                        continue
                    owner = _owner(saved)
                    # Arrays of different owners cannot share memory: skip an unchanged owner's.
                    if owner is None or exact or changed_at(id(owner), 0) > stamp:
                        self._check_array(node, output, saved)

    def _check_array(self, node: Node, output: Tensor, saved: np.ndarray) -> None:
        """The exact test of one saved array against every change made after `node`."""
        for clock, version, ref, by, data in sorted(self.changes.values(), key=lambda e: -e[0]):
            if clock <= node.stamp:
                break  # older changes happened before the forward: harmless
            changed = ref()
            if changed is not None and np.may_share_memory(saved, data):
                raise RuntimeError(
                    f"backward: '{node.op.name}' (which made {output.name!r}) saved the array of tensor "
                    f"{changed.name!r} (shape {shape_str(changed.shape)}) for its backward, but that "
                    f"tensor was modified in place since the forward ({by}; it is at version "
                    f"{version} now), so its gradient would be wrong; run the forward again after "
                    "the change, or change a copy"
                )


def _owner(array: np.ndarray) -> np.ndarray | None:
    """The array at the end of `array`'s `.base` chain, or None when the chain ends in memory
    that no array owns (a memoryview, an mmap, a buffer of another library)."""
    while True:
        base = array.base
        if base is None:
            return array
        if not isinstance(base, np.ndarray):
            return None
        array = base


_ARRAY_TYPES = itertools.repeat(np.ndarray)  # isinstance's second argument, for map()

log = _Log()

#: Record an in-place change of `tensor.data` made by `by` (e.g. "SGD.step"): `bump(tensor, by)`.
bump = log.bump
#: The same for several tensors changed together: `bump_all(tensors, by)`.
bump_all = log.bump_all
