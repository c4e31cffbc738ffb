"""`Tensor`: a NumPy array that remembers the op that made it, so gradients can flow back.

How an op runs (`apply`): unwrap the input tensors to arrays, call the op's `forward`, and wrap the
result in a new tensor whose `_node` records the op, its inputs and its saved context. `backward`
walks those nodes in reverse (see `graph.py`).
"""

from __future__ import annotations

import collections
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from .. import ops
from ..ops.base import Context, Function
from ..tables import shape_str
from .anomaly import AnomalyError, describe_input, describe_nonfinite, user_line
from .dtypes import get_default_dtype
from .graph import Node, iter_backward
from .hooks import RemovableHandle
from .inplace import bump
from .inplace import log as inplace_log
from .mode import flags

_creation_counter = itertools.count()
_T = TypeVar("_T", bound="Tensor")

ArrayLike = Any  # numbers, nested lists, np.ndarray


class Tensor:
    """An n-dimensional array with an optional gradient.

    Attributes: `data` (the live np.ndarray), `grad` (np.ndarray or None), `requires_grad`,
    `name`; `shape`, `ndim`, `dtype` mirror `data`.
    """

    __slots__ = (
        "__weakref__",
        "_hooks",
        "_index",
        "_name",
        "_node",
        "_retains_grad",
        "data",
        "grad",
        "requires_grad",
    )
    __array_ufunc__ = None  # make NumPy hand `array + tensor` to Tensor.__radd__

    def __init__(
        self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        array = _to_array(data, dtype)
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"tensor: only floating-point tensors can require grad, got dtype {array.dtype}; "
                "pass float data or dtype=np.float64"
            )
        self.data = array
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._name = name
        self._node: Node | None = None
        self._hooks: dict[int, Callable] | None = None
        self._retains_grad = False
        self._index = next(_creation_counter)

    @classmethod
    def _from_op(cls: type[_T], data: np.ndarray, node: Node | None) -> _T:
        """Wrap an op's output without the checks of `__init__` (the hot path)."""
        t = object.__new__(cls)
        t.data = data if type(data) is np.ndarray else np.asarray(data)
        t.grad = None
        t.requires_grad = node is not None
        t._name = None
        t._node = node
        t._hooks = None
        t._retains_grad = False
        t._index = next(_creation_counter)
        return t

    # ----------------------------------------------------------------- array-like attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def name(self) -> str:
        """Given name, else `<op>_<n>` for an op's output or `tensor_<n>` for a leaf (n: creation order)."""
        if self._name is not None:
            return self._name
        op = self._node.op.name if self._node is not None else "tensor"
        return f"{op}_{self._index}"

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value

    @property
    def op(self) -> str | None:
        """The name of the op that produced this tensor (None for a leaf)."""
        return self._node.op.name if self._node is not None else None

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def _version(self) -> int:
        """How many in-place changes minigrad has made to this tensor's array (as PyTorch's)."""
        return inplace_log.version(self)

    def copy_(self, value: ArrayLike) -> Tensor:
        """Write `value` into this tensor's array in place (broadcast, cast to its dtype); returns self.

        The change is counted: a backward that needs the old values raises instead of using these.
        """
        source = _to_array(value.data if isinstance(value, Tensor) else value, None)
        try:
            shape = np.broadcast_shapes(source.shape, self.shape)
        except ValueError:
            shape = None
        if shape != self.shape:
            raise ValueError(
                f"copy_: cannot copy a value of shape {shape_str(source.shape)} into a tensor of shape "
                f"{shape_str(self.shape)}"
            )
        if self.dtype.kind in "iu" and source.dtype.kind == "f":
            raise TypeError(f"copy_: cannot copy {source.dtype} values into an {self.dtype} tensor")
        self.data[...] = source
        bump(self, "copy_")
        return self

    def numpy(self) -> np.ndarray:
        """A copy of the data."""
        return self.data.copy()

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(
                f"item: only a one-element tensor converts to a Python number, got shape {shape_str(self.shape)}"
            )
        return self.data.item()

    def detach(self) -> Tensor:
        """The same data (shared, not copied) cut off from the graph."""
        return Tensor._from_op(self.data, None)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (as NumPy: a 0-d array has no length)")
        return len(self.data)

    def __iter__(self) -> Any:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor (as NumPy); use .item() for its value")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4, threshold=20)
        extras = []
        if self.data.dtype != get_default_dtype():
            extras.append(f"dtype={self.data.dtype}")
        if self._node is not None:
            extras.append(f"op={self._node.op.name!r}")
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self._name is not None:
            extras.append(f"name={self._name!r}")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    def _stand_in(self, freed: dict[int, Tensor]) -> Tensor:
        """What a released graph keeps of this intermediate tensor while someone else may still
        hold it (see `Node.release`): a `FreedTensor` over a shared, memoryless placeholder,
        one per tensor (`freed`, by id), so that a tensor used twice stays one node."""
        if type(self) is FreedTensor:
            return self
        ghost = freed.get(id(self))
        if ghost is None:  # through _from_op, the one place a Tensor's slots are filled
            ghost = freed[id(self)] = FreedTensor._from_op(_placeholder(self.data), self._node)
            ghost._name, ghost._index = self._name, self._index
        return ghost

    def _become_freed(self) -> bool:
        """Turn this intermediate tensor into its own `FreedTensor`, its array dropped (see
        `Node.release`: when nothing but its graph refers to it, no stand-in object is needed).
        Only a plain Tensor does (a subclass may hold more than a FreedTensor keeps)."""
        if type(self) is not Tensor:
            return False
        self.data = _placeholder(self.data)
        self.__class__ = FreedTensor
        return True

    # ------------------------------------------------------------------------- autograd
    def backward(self, grad: ArrayLike | None = None, retain_graph: bool = False) -> None:
        """Reverse mode from this tensor: accumulate d(self)/d(leaf) into every leaf's `.grad`.

        A non-scalar tensor needs `grad`, the gradient of some scalar loss with respect to it.
        """
        # Drained by a zero-length deque, which drops each step before asking for the next: the
        # engine can then donate gradient buffers nobody holds (benchmarks/README.md, "Engine").
        collections.deque(iter_backward(self, self._initial_grad(grad), retain_graph, donate=True), maxlen=0)

    def _initial_grad(self, grad: ArrayLike | None) -> np.ndarray:
        if not self.requires_grad:
            raise RuntimeError(
                f"backward: tensor {self.name!r} does not require grad: no input of the graph "
                "behind it has requires_grad=True (or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: {self.name!r} has shape {shape_str(self.shape)}, not a scalar; pass "
                    "grad= an array of that shape (the gradient of your loss with respect to it), "
                    "or reduce it first with .sum() or .mean()"
                )
            data = self.data  # a 0-d loss: np.array(1) costs a sixth of np.ones' Python wrapper
            return np.array(1, dtype=data.dtype) if data.ndim == 0 else np.ones(data.shape, dtype=data.dtype)
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
        if grad.dtype.kind not in "biuf":
            raise TypeError(
                f"backward: grad has dtype {grad.dtype}; a gradient must be real numbers (not complex, text or objects)"
            )
        grad = grad.astype(self.dtype, copy=False)
        if grad.shape != self.shape:
            raise ValueError(
                f"backward: grad has shape {shape_str(grad.shape)} but the tensor has shape {shape_str(self.shape)}"
            )
        return grad

    def retain_grad(self) -> None:
        """Keep this tensor's gradient in `.grad` at the next backward passes (an op's output
        keeps none by default: that would cost memory on every training step). Accumulates,
        as a leaf's does. A leaf always keeps its gradient, so this changes nothing for it."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: tensor {self.name!r} does not require grad, so no gradient will reach it")
        if self._node is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True for an op's output after `retain_grad()` (False for a leaf, as in PyTorch)."""
        return self._retains_grad

    def register_hook(self, fn: Callable[[np.ndarray], np.ndarray | None]) -> RemovableHandle:
        """Call `fn(grad)` when this tensor's gradient is computed; a returned array replaces it."""
        if not callable(fn):
            raise TypeError(f"register_hook: expected a function fn(grad), got {type(fn).__name__} {fn!r}")
        if not self.requires_grad:
            raise RuntimeError(
                f"register_hook: tensor {self.name!r} does not require grad, so no gradient will reach it"
            )
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    # ------------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return apply(ops.Add, self, as_operand(other, self, ops.Add))

    def __radd__(self, other: Any) -> Tensor:
        return apply(ops.Add, as_operand(other, self, ops.Add), self)

    def __sub__(self, other: Any) -> Tensor:
        return apply(ops.Sub, self, as_operand(other, self, ops.Sub))

    def __rsub__(self, other: Any) -> Tensor:
        return apply(ops.Sub, as_operand(other, self, ops.Sub), self)

    def __mul__(self, other: Any) -> Tensor:
        return apply(ops.Mul, self, as_operand(other, self, ops.Mul))

    def __rmul__(self, other: Any) -> Tensor:
        return apply(ops.Mul, as_operand(other, self, ops.Mul), self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply(ops.Div, self, as_operand(other, self, ops.Div))

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply(ops.Div, as_operand(other, self, ops.Div), self)

    def __matmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, self, as_operand(other, self, ops.MatMul))

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, as_operand(other, self, ops.MatMul), self)

    def __neg__(self) -> Tensor:
        return apply(ops.Neg, self)

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, Tensor) or not isinstance(exponent, (int, float, np.number)):
            raise TypeError(f"pow: the exponent must be a Python number, got {type(exponent).__name__}")
        if isinstance(exponent, (bool, np.bool_)):
            raise TypeError(f"pow: the exponent must be a number, not a bool ({exponent!r})")
        if self.data.dtype.kind != "f":  # NumPy's result type: int ** float is float, int ** int stays int
            if isinstance(exponent, (int, np.integer)) and exponent < 0:
                raise ValueError(
                    f"pow: an integer tensor ({self.data.dtype}) to a negative integer power ({exponent}) "
                    "is not an integer (NumPy refuses it too); use a float exponent or a float tensor"
                )
            return apply(ops.Pow, self, exponent=exponent)
        # A Python number keeps float32 float32 (a NumPy float64 scalar would promote).
        exponent = int(exponent) if float(exponent).is_integer() else float(exponent)
        return apply(ops.Pow, self, exponent=exponent)

    def __getitem__(self, index: Any) -> Tensor:
        return apply(ops.GetItem, self, index=_plain_index(index))

    # -------------------------------------------------------------------------- methods
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return apply(ops.Sum, self, axis=axis, keepdims=_flag("sum", "keepdims", keepdims))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return apply(ops.Mean, self, axis=axis, keepdims=_flag("mean", "keepdims", keepdims))

    def var(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        if isinstance(ddof, (bool, np.bool_)) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
            raise TypeError(f"var: ddof must be a non-negative int, got {ddof!r}")
        return apply(ops.Var, self, axis=axis, keepdims=_flag("var", "keepdims", keepdims), ddof=int(ddof))

    def exp(self) -> Tensor:
        return apply(ops.Exp, self)

    def log(self) -> Tensor:
        return apply(ops.Log, self)

    def sqrt(self) -> Tensor:
        return apply(ops.Sqrt, self)

    def relu(self) -> Tensor:
        return apply(ops.ReLU, self)

    def tanh(self) -> Tensor:
        return apply(ops.Tanh, self)

    def sigmoid(self) -> Tensor:
        return apply(ops.Sigmoid, self)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`, shifted by the maximum (stable for large logits)."""
        return apply(ops.Softmax, self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - log(sum(exp(x))) along `axis`, shifted by the maximum (stable for large logits)."""
        return apply(ops.LogSoftmax, self, axis=axis)

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = _int_sequence("reshape", "shape", shape[0])
        return apply(ops.Reshape, self, shape=_int_tuple("reshape", "shape", shape))

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = _int_sequence("transpose", "axes", axes[0])
        return apply(ops.Transpose, self, axes=_int_tuple("transpose", "axes", axes) if axes else None)

    @property
    def T(self) -> Tensor:
        return apply(ops.Transpose, self, axes=None)


_ZERO_BYTES = bytes(16)  # backs every FreedTensor placeholder (all strides 0: one element, read-only)
#: Placeholders by (shape, dtype): read-only and memoryless, so every FreedTensor of a shape can
#: share one (a released graph makes one FreedTensor per intermediate at every step).
_placeholders: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}


class FreedTensor(Tensor):
    """What a released graph keeps of an intermediate tensor: name, op, shape and dtype, not values.

    Its `data` is a read-only zero-stride placeholder of the right shape and dtype (no memory).
    """

    __slots__ = ()  # made by `Tensor._stand_in`, or by `Tensor._become_freed` from the tensor itself


def _placeholder(data: np.ndarray) -> np.ndarray:
    """The shared read-only, memoryless array of `data`'s shape and dtype."""
    key = (data.shape, data.dtype)
    placeholder = _placeholders.get(key)
    if placeholder is None:
        if len(_placeholders) > 1024:  # many shapes seen: start again rather than grow
            _placeholders.clear()
        placeholder = np.ndarray(key[0], dtype=key[1], buffer=_ZERO_BYTES, strides=(0,) * len(key[0]))
        _placeholders[key] = placeholder
    return placeholder


def _flag(op: str, what: str, value: Any) -> bool:
    if value is not True and value is not False and not isinstance(value, np.bool_):
        raise TypeError(f"{op}: {what} must be a bool, got {value!r}")
    return bool(value)


def _int_sequence(op: str, what: str, value: Any) -> tuple:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise TypeError(f"{op}: {what} must be ints or a tuple of ints, got {value!r}")
    return tuple(value)


def _int_tuple(op: str, what: str, values: tuple) -> tuple[int, ...]:
    """`values` as Python ints, or a TypeError naming `op` (NumPy would truncate 0.5 to 0 or refuse)."""
    bad = [v for v in values if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))]
    if bad:
        raise TypeError(f"{op}: {what} must be ints, got {tuple(values)!r} ({bad[0]!r} is a {type(bad[0]).__name__})")
    return tuple(int(v) for v in values)


def _to_array(data: ArrayLike, dtype: Any) -> np.ndarray:
    """The dtype rules: a NumPy array keeps its dtype, Python numbers and lists take the default."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes)):
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} {data!r}; pass numbers")
    try:
        if isinstance(data, np.ndarray):
            array = np.array(data, dtype=dtype, copy=True)
        elif isinstance(data, np.generic):
            array = np.array(data, dtype=dtype)
        else:
            array = np.array(data, dtype=dtype)
            if dtype is None and array.dtype.kind in "biuf":
                array = array.astype(get_default_dtype())
    except (ValueError, TypeError) as e:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} data: {e}") from None
    if array.dtype.kind not in "biuf" or array.dtype.fields is not None:
        raise TypeError(
            f"tensor: cannot make a tensor from {type(data).__name__} data of dtype {array.dtype}; "
            "a tensor holds real numbers (bool, int or float), not complex, text, dates or objects"
        )
    return array


def as_operand(value: Any, like: Tensor, op: type[Function]) -> Tensor:
    """The other operand of a binary `op` as a tensor (a constant unless it already is a Tensor).

    A Python number takes the float dtype of the tensor it meets (so float32 stays float32);
    arrays keep their own dtype and follow NumPy's promotion.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool)):
        dtype = like.data.dtype if like.data.dtype.kind == "f" else get_default_dtype()
        return Tensor._from_op(np.asarray(value, dtype=dtype), None)
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return Tensor._from_op(_to_array(value, None) if not isinstance(value, np.ndarray) else value, None)
    raise TypeError(
        f"{op.name}: cannot combine a Tensor with a {type(value).__name__}; use a number, an array or a Tensor"
    )


def _plain_index(index: Any) -> Any:
    """Tensors inside an index become their arrays (indices carry no gradient)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def tensor(data: ArrayLike, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Make a tensor (the data is copied, as `torch.tensor` does).

    A float NumPy array keeps its dtype; Python numbers and lists take `mg.get_default_dtype()`.
    Only floating-point tensors can require grad (`TypeError` otherwise).
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


_data_of = operator.attrgetter("data")
_requires_grad_of = operator.attrgetter("requires_grad")


def apply(op: type[Function], *inputs: Tensor, **params: Any) -> Tensor:
    """Run `op` forward on the inputs' arrays and, when grad is enabled, record it in the graph."""
    arrays = tuple(map(_data_of, inputs))  # map over a C getter: no comprehension frame per op
    if op.broadcasts and arrays[0].shape != arrays[1].shape:
        try:
            np.broadcast_shapes(arrays[0].shape, arrays[1].shape)
        except ValueError:
            raise ValueError(
                f"{op.name}: cannot broadcast {shape_str(arrays[0].shape)} with {shape_str(arrays[1].shape)}"
            ) from None
    needs = tuple(map(_requires_grad_of, inputs))
    anomaly = flags.detect_anomaly  # read once for Node and below: a per-thread flag costs a lookup
    # The node is the op's ctx; without a graph to record, a bare Context takes what it saves.
    node = Node(op, inputs, needs, anomaly) if flags.grad_enabled and True in needs else None
    out = op.forward(Context() if node is None else node, *arrays, **params)
    if node is not None and (node.op is not op or node.inputs is not inputs):
        raise RuntimeError(
            f"{op.name}.forward assigned ctx.op or ctx.inputs, which the graph's node (the ctx) uses "
            "itself; save the value under another name"
        )
    if anomaly:
        problem = describe_nonfinite(np.asarray(out))
        if problem:
            already = [
                f"{describe_input(i, t)} already held {p}"
                for i, (t, p) in enumerate(zip(inputs, map(describe_nonfinite, arrays)))
                if p
            ]
            raise AnomalyError(
                f"detect_anomaly: '{op.name}' produced a non-finite output (shape {shape_str(np.shape(out))}: "
                f"{problem}) from inputs of shapes {', '.join(shape_str(a.shape) for a in arrays)}"
                f"{' (' + '; '.join(already) + ')' if already else ''}; at {node.created_at if node else user_line()}"
            )
    return Tensor._from_op(out, node)
