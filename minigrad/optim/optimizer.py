"""`Optimizer`: the base every optimiser shares (parameter list, `zero_grad`, skipping, state).

An optimiser owns a list of tensors and, per tensor, a small dict of state (a step count, moment
buffers). `step()` walks the tensors and updates each one IN PLACE on `p.data`, the live array, so
a module that holds the tensor sees the new values and no array is reallocated. Subclasses write
only `_update(param, grad, state, scratch)`, the rule for one array.

Skipped in `step()`: a tensor with `requires_grad=False` (e.g. under a frozen module,
`module.trainable = False`) and a tensor whose `.grad` is `None` (no gradient reached it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..engine.inplace import bump_all
from ..engine.tensor import Tensor
from ..tables import shape_str


class Optimizer:
    """Base class: holds the parameters, clears their gradients, and stores per-parameter state.

    `state_dict()` is a flat `dict[str, np.ndarray]` keyed `"<index>.<name>"` (index = position in
    the parameter list), so `mg.save(opt.state_dict(), path)` works as it does for a module.
    """

    #: The per-parameter state a subclass keeps: name -> "buffer" (an array shaped and typed like
    #: the parameter) or "count" (a non-negative integer, saved as a 0-d int64 array).
    _state_kinds: ClassVar[dict[str, str]] = {}

    def __init__(self, params: Iterable[Tensor]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            # A Tensor is iterable (over its rows), so it must be caught before list().
            raise TypeError(f"{name}: params must be an iterable of tensors, got a single Tensor; pass [t]")
        if isinstance(params, Mapping):
            raise TypeError(
                f"{name}: params must be an iterable of tensors, got a {type(params).__name__}; "
                "pass model.parameters() (not a state_dict or a dict of tensors)"
            )
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of tensors, got {type(params).__name__}") from None
        if not params:
            raise ValueError(
                f"{name}: got an empty parameter list; is the model built, or are all its parameters filtered out?"
            )
        seen: dict[int, int] = {}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                hint = (
                    " (named_parameters() yields (name, tensor) pairs: pass parameters())"
                    if isinstance(p, tuple)
                    else ""
                )
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a minigrad Tensor{hint}")
            if id(p) in seen:
                # Stepping a tensor twice per step() would silently double its learning rate.
                raise ValueError(
                    f"{name}: parameter {i} is the same tensor as parameter {seen[id(p)]}; pass each tensor once"
                )
            seen[id(p)] = i
        self.params: list[Tensor] = params
        self.state: list[dict[str, Any]] = [{} for _ in params]
        # One flat scratch array per dtype, large enough for the biggest parameter: step() works in
        # views of it, so an update allocates no temporaries after the first call.
        self._scratch: dict[np.dtype, np.ndarray] = {}

    # ------------------------------------------------------------------------------ stepping
    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to `None` (gradients accumulate across backward calls)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that requires grad and has a gradient, in place.

        Every gradient is checked first, so a step that raises has changed nothing.
        """
        todo = [(i, p) for i, p in enumerate(self.params) if p.requires_grad and p.grad is not None]
        ready: list[tuple[int, np.ndarray, np.ndarray]] = []  # (index, param array, grad) to update
        for i, p in todo:
            grad, data = p.grad, p.data
            # The usual case, checked inline (the full check builds a message per parameter).
            if type(grad) is not np.ndarray or grad.dtype.kind != "f" or grad.shape != data.shape:
                grad = self._check_grad(i, p)
            ready.append((i, data, grad))
        self._step_ready(ready)
        bump_all([p for _, p in todo], f"{type(self).__name__}.step")

    def _step_ready(self, ready: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        """Update the checked (index, param, grad) triples; one `_update` each unless overridden."""
        for i, param, grad in ready:
            self._update(param, grad, self.state[i], self._scratch_like(param))

    def _check_grad(self, i: int, p: Tensor) -> np.ndarray:
        """`p.grad`, or a clear error unless it is a float array of the parameter's shape."""
        where = f"{type(self).__name__}.step: parameter {i} ({p.name!r})"
        grad = p.grad
        if isinstance(grad, np.generic):  # a NumPy scalar (what a ufunc makes of a 0-d array)
            grad = p.grad = np.asarray(grad)
        if not isinstance(grad, np.ndarray):
            raise TypeError(f"{where}: .grad must be a NumPy array, got {type(grad).__name__}")
        if grad.dtype.kind != "f":
            raise TypeError(f"{where}: .grad has dtype {grad.dtype}; a gradient must be a floating-point array")
        if grad.shape != p.data.shape:
            raise ValueError(
                f"{where} has shape {shape_str(p.data.shape)} but its grad has shape {shape_str(grad.shape)}"
            )
        return grad

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], scratch: np.ndarray) -> None:
        """Update `param` in place from `grad`; `state` persists between steps, `scratch` does not."""
        raise NotImplementedError

    def _scratch_like(self, array: np.ndarray) -> np.ndarray:
        """A scratch view with `array`'s shape and dtype (contents undefined)."""
        flat = self._scratch.get(array.dtype)
        if flat is None or flat.size < array.size:
            # Sized for the largest parameter of this dtype, so it is allocated once.
            size = max([array.size] + [p.data.size for p in self.params if p.data.dtype == array.dtype])
            flat = self._scratch[array.dtype] = np.empty(size, dtype=array.dtype)
        return flat[: array.size].reshape(array.shape)

    # --------------------------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """The optimiser state as `{"<index>.<name>": array}` (copies), e.g. `"0.m"`, `"0.step"`.

        Hyper-parameters (lr, betas, ...) are not included: they come from the constructor.
        Parameters that were never stepped have no entries.
        """
        out: dict[str, np.ndarray] = {}
        for i, state in enumerate(self.state):
            for key, value in state.items():
                kind = self._state_kinds[key]
                out[f"{i}.{key}"] = np.array(value, dtype=np.int64) if kind == "count" else value.copy()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore state saved by `state_dict()`. Checks everything first: on a `ValueError`
        (listing every bad key) the optimiser is unchanged."""
        name = type(self).__name__
        problems: list[str] = []
        new_state: list[dict[str, Any]] = [{} for _ in self.params]
        for key, value in state_dict.items():
            match = re.fullmatch(r"(\d+)\.(\w+)", key) if isinstance(key, str) else None
            if match is None or int(match[1]) >= len(self.params) or match[2] not in self._state_kinds:
                problems.append(f"unexpected key {key!r}")
                continue
            i, field = int(match[1]), match[2]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            param = self.params[i].data
            if self._state_kinds[field] == "count":
                if array.shape != () or array.dtype.kind not in "iu" or int(array) < 0:
                    problems.append(
                        f"{key!r} must be a non-negative integer scalar, "
                        f"got shape {shape_str(array.shape)} dtype {array.dtype}"
                    )
                    continue
                new_state[i][field] = int(array)
            else:
                if array.shape != param.shape:
                    problems.append(
                        f"{key!r} has shape {shape_str(array.shape)} "
                        f"but parameter {i} has shape {shape_str(param.shape)}"
                    )
                    continue
                if array.dtype.kind not in "fiu":
                    problems.append(f"{key!r} has dtype {array.dtype}, not a number")
                    continue
                new_state[i][field] = array.astype(param.dtype, copy=True)
        for i, state in enumerate(new_state):
            missing = [f"'{i}.{f}'" for f in self._state_kinds if state and f not in state]
            if missing:
                problems.append(f"parameter {i} has only part of its state: missing {', '.join(missing)}")
        if problems:
            raise ValueError(f"{name}.load_state_dict: " + "; ".join(problems))
        self.state = new_state

    # ------------------------------------------------------------------------------- helpers
    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, {self._hyper_repr()})"

    def _hyper_repr(self) -> str:
        return ""


def check_number(owner: str, what: str, value: Any, *, low: float = 0.0, high: float | None = None) -> float:
    """`value` as a Python float, or a ValueError naming `owner` and `what` unless it is a finite
    real number in `[low, high)` (`>= low` when `high` is None)."""
    interval = f">= {low}" if high is None else f"in [{low}, {high})"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: {what} must be a real number {interval}, got {value!r}")
    number = float(value)  # a Python float: keeps float32 arithmetic float32 (a NumPy float64 would promote)
    if not math.isfinite(number) or number < low or (high is not None and number >= high):
        raise ValueError(f"{owner}: {what} must be {interval}, got {value!r}")
    return number
