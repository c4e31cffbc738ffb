"""The base of every differentiable operation.

An op is one class with two static methods on NumPy arrays (MiniTorch's shape):

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):          # y = a * b
            ctx.a, ctx.b = a, b          # what backward needs
            return a * b

        @staticmethod
        def backward(ctx, grad):         # dy/da = b, dy/db = a
            return grad * ctx.b, grad * ctx.a

The op writes only its *local* derivative. This base machinery (MyGrad's idea) does the rest:
it sums a gradient back over broadcast axes to each input's shape, casts it to the input's dtype,
checks the op returned one gradient per input, and releases what the op saved once backward ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..tables import shape_str


class Context:
    """What one op's forward leaves for its backward.

    Ops store arrays as attributes (`ctx.x = x`). `needs_input_grad[i]` tells whether input `i`
    wants a gradient, so an op can skip work nobody needs. `grad_donated` is True when the engine
    hands the op, in backward, a gradient array that nothing else refers to: the op may then
    write its result into it instead of allocating one (`np.multiply(grad, m, out=grad)`).

    In a graph the ctx is the graph's node itself, whose own fields an op must leave alone:
    `op`, `inputs`, `stamp`, `released`, `created_at` (`apply` refuses an op that sets
    `ctx.op` or `ctx.inputs`, the two an op might pick for its own use).
    """

    needs_input_grad: tuple[bool, ...] = ()
    grad_donated: bool = False

    if TYPE_CHECKING:  # what an op saves is its own business: any attribute, typed as Any

        def __getattr__(self, name: str) -> Any: ...
        def __setattr__(self, name: str, value: Any) -> None: ...


class Function:
    """One differentiable operation. Subclasses define `forward` and `backward` on arrays."""

    #: The op's name in errors, traces and debug steps; defaults to the lower-cased class name.
    name: ClassVar[str] = ""
    #: When True, the base class checks that the array inputs broadcast against each other.
    broadcasts: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__.lower()

    if TYPE_CHECKING:  # each op narrows the arguments: forward(ctx, x, *, axis) and so on
        forward: ClassVar[Callable[..., np.ndarray]]
        backward: ClassVar[Callable[..., Any]]
    else:

        @staticmethod
        def forward(ctx: Context, *arrays: np.ndarray, **params: Any) -> np.ndarray:
            """The op on arrays; save what backward needs on `ctx`."""
            raise NotImplementedError

        @staticmethod
        def backward(ctx: Context, grad: np.ndarray) -> Any:
            """Return one gradient per forward input (a single array for one input; None = no grad)."""
            raise NotImplementedError


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op_name: str) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving it `shape`.

    If y = f(x) broadcast x from `shape` to grad.shape, each element of x fed several elements of
    y, so its gradient is the sum of theirs.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(
            f"{op_name}.backward: gradient of shape {shape_str(grad.shape)} has fewer axes "
            f"than its input {shape_str(shape)}"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(
            f"{op_name}.backward: gradient of shape {shape_str(grad.shape)} cannot be summed "
            f"back to its input's shape {shape_str(shape)}"
        )
    return np.asarray(grad)  # a full sum of a 0-d result is a NumPy scalar


def normalize_axes(
    axis: int | tuple[int, ...] | list[int] | None, shape: tuple[int, ...], op_name: str
) -> tuple[int, ...]:
    """`axis` as a sorted tuple of non-negative ints (None = every axis), or a clear error."""
    ndim = len(shape)
    if type(axis) is int and -ndim <= axis < ndim:  # the usual case, first (a bool is not an int here)
        return (axis % ndim,)
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        axes: tuple = (axis,)
    elif isinstance(axis, (tuple, list)) and not any(
        isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)) for a in axis
    ):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op_name}: axis must be an int or a tuple of ints, got {axis!r}")
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op_name}: axis {a!r} is out of range for shape {shape_str(shape)} ({ndim} dimensions)")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op_name}: repeated axis in {axis!r} for shape {shape_str(shape)}")
    return tuple(sorted(out))
