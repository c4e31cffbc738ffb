"""`Module`: parameters, buffers, children, modes and state dicts (PyTorch's shape, Keras's `trainable`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import numpy as np

from ..engine.hooks import RemovableHandle
from ..engine.inplace import bump
from ..engine.tensor import Tensor
from ..tables import shape_str
from .parameter import Parameter

# `model = Sequential(...).eval()` keeps its type (typing.Self needs Python 3.11).
_M = TypeVar("_M", bound="Module")


def _cast_problem(array: np.ndarray, dtype: np.dtype) -> str | None:
    """Why `array` cannot become `dtype` without changing its values (None if it can)."""
    if array.dtype.kind not in "biuf":
        return f"checkpoint has non-numeric dtype {array.dtype}"
    if (
        dtype.kind in "iu"
        and array.dtype.kind == "f"
        and (not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)))
    ):
        return f"checkpoint holds non-integer values for an {dtype} tensor"
    if dtype.kind in "iu" and array.size:
        info = np.iinfo(dtype)
        if array.min() < info.min or array.max() > info.max:
            return f"checkpoint values do not fit in {dtype}"
    if dtype.kind == "f" and array.size:
        with np.errstate(over="ignore"):
            overflows = np.isfinite(array) & ~np.isfinite(array.astype(dtype))
        if overflows.any():
            return f"checkpoint values overflow {dtype}"
    return None


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models.

    Assigning a `Parameter` or a `Module` to an attribute registers it; buffers are registered
    with `register_buffer`. Parameters and buffers are named by their path (`"1.gamma"`), and
    that path is also the tensor's `.name`, so debuggers and gradcheck reports can show it.

    Two independent flags:
      - `training` (`train()`/`eval()`): which computation runs (batch vs moving statistics).
      - `trainable`: whether parameters learn. `trainable = False` stops every parameter below
        from requiring grad, and (the Keras rule) makes BatchNorm run in inference mode.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_trainable", True)

    # ----------------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            self._set_buffer(name, value)  # assigning to a buffer updates its value, it stays a buffer
            return
        if name in self._parameters and value is not None and not isinstance(value, Parameter):
            # PyTorch's rule: silently replacing it would drop the parameter from checkpoints.
            raise TypeError(
                f"{type(self).__name__}: cannot assign a {type(value).__name__} to parameter {name!r} "
                f"(a Parameter or None expected); to change its values use self.{name}.copy_(value)"
            )
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            if value._name is None:
                value.name = name
            if not self._trainable:
                value.requires_grad = False
            self._parameters[name] = self.__dict__[name] = value
        elif isinstance(value, Module):
            if not self._trainable:  # a frozen model freezes what is added to it
                value.trainable = False
            self._modules[name] = self.__dict__[name] = value
            for sub, tensor in value._named_tensors():
                tensor.name = f"{name}.{sub}"
        else:
            object.__setattr__(self, name, value)

    # The registries are the truth (traversal, state dicts); the instance dict mirrors them, so that
    # `self.weight` is a plain attribute read. PyTorch's `__getattr__` instead would make every
    # attribute read of a module take Python's slow path (benchmarks/README.md, "Engine").
    if TYPE_CHECKING:  # for type checkers only: a registered tensor or child is any attribute

        def __getattr__(self, name: str) -> Any: ...

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                del self.__dict__[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Any) -> None:
        """A tensor the module keeps and saves in its state dict but never learns (no grad)."""
        where = f"{type(self).__name__}.register_buffer"
        if not isinstance(name, str):
            raise TypeError(f"{where}: the name must be a str, got {type(name).__name__}")
        if not name:
            raise KeyError(f"{where}: the name cannot be empty")
        if "." in name:
            raise KeyError(f"{where}: the name {name!r} cannot contain '.' (it separates state-dict paths)")
        if name not in self._buffers and (name in self._parameters or name in self._modules or name in self.__dict__):
            raise KeyError(f"{where}: attribute {name!r} already exists")
        tensor = value if isinstance(value, Tensor) else Tensor(np.asarray(value))
        if tensor.requires_grad:
            raise ValueError(f"register_buffer: buffer {name!r} must not require grad")
        tensor.name = name
        self._buffers[name] = self.__dict__[name] = tensor

    def _set_buffer(self, name: str, value: Any) -> None:
        array = value.data if isinstance(value, Tensor) else np.asarray(value)
        self._buffers[name].data = array

    # --------------------------------------------------------------------------- traversal
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named `prefix`, "" at the top) and every descendant, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for prefix, module in self.named_modules():
            for name, b in module._buffers.items():
                yield (f"{prefix}.{name}" if prefix else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    def _named_tensors(self) -> Iterator[tuple[str, Tensor]]:
        yield from self.named_parameters()
        yield from self.named_buffers()

    # ------------------------------------------------------------------------------ modes
    def train(self: _M, mode: bool = True) -> _M:
        """Set `.training` on this module and every descendant; returns self."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"train: mode must be a bool, got {mode!r} ({type(mode).__name__})")
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self: _M) -> _M:
        """Same as `train(False)`."""
        return self.train(False)

    @property
    def trainable(self) -> bool:
        """False freezes the module: its parameters stop requiring grad, optimisers skip them,
        and BatchNorm normalises with its moving statistics (as Keras). Propagates downwards."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for module in self.modules():
            object.__setattr__(module, "_trainable", bool(value))
            for p in module._parameters.values():
                p.requires_grad = bool(value)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None."""
        for p in self.parameters():
            p.grad = None

    # ----------------------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, by path (`"1.gamma"`, `"1.moving_mean"`)."""
        return {name: t.data.copy() for name, t in self._named_tensors()}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values in, by key. Everything is validated first: on any problem a ValueError
        lists every missing key, unexpected key and shape mismatch, and nothing is changed."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                "load_state_dict: expected a dict of name -> array (e.g. mg.load(path)), "
                f"got {type(state_dict).__name__}"
            )
        bad_keys = [k for k in state_dict if not isinstance(k, str)]
        if bad_keys:
            raise TypeError(f"load_state_dict: keys must be str, got {', '.join(map(repr, bad_keys))}")
        own = dict(self._named_tensors())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        converted = {}  # every value in its target dtype, before anything is written
        for key, tensor in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                array = np.asarray(value.data if isinstance(value, Tensor) else value)
            except (ValueError, TypeError):
                problems.append(f"bad value: {key}: not an array (ragged nested lists?): {type(value).__name__}")
                continue
            if array.shape != tensor.shape:
                problems.append(
                    f"shape mismatch: {key}: checkpoint has shape {shape_str(array.shape)}, "
                    f"the module has {shape_str(tensor.shape)}"
                    + (f" ({key} should contain {tensor.size} elements not {array.size})" if tensor.ndim == 1 else "")
                )
                continue
            problem = _cast_problem(array, tensor.dtype)
            if problem:
                problems.append(f"bad value: {key}: {problem}")
                continue
            converted[key] = array.astype(tensor.dtype)
        if problems or (strict and (missing or unexpected)):
            lines = [f"load_state_dict: cannot load into {type(self).__name__}; nothing was changed."]
            if strict and missing:
                lines.append(f"missing keys: {', '.join(missing)}")
            if strict and unexpected:
                lines.append(f"unexpected keys: {', '.join(unexpected)}")
            lines += problems
            raise ValueError("\n  ".join(lines))
        for key, array in converted.items():
            own[key].data[...] = array  # in place: the live array (and anything viewing it) stays
            bump(own[key], "load_state_dict")
        return IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in tuple(self._forward_hooks.values()):
                replaced = hook(self, args, output)
                if replaced is not None:
                    output = replaced
        return output

    def register_forward_hook(self, fn: Callable[[Module, tuple, Any], Any]) -> RemovableHandle:
        """Call `fn(module, inputs, output)` after every forward; a returned value replaces the output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = fn
        return handle

    # ------------------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        return ""

    def _mode_str(self) -> str:
        return ("train" if self.training else "eval") + ("" if self._trainable else ", frozen")

    def __repr__(self) -> str:
        tensors = ", ".join(
            f"{n} {shape_str(t.shape)}"
            for n, t in list(self._parameters.items()) + list(self._buffers.items())
            if not (t.ndim == 0 and t.dtype.kind in "iu")
        )
        head = f"{type(self).__name__}({self.extra_repr()})"
        details = [s for s in (tensors, self._mode_str()) if s]
        if not self._modules:
            return f"{head}  [{'; '.join(details)}]"
        lines = [f"{type(self).__name__}(  [{self._mode_str()}]"]
        for name, child in self._modules.items():
            child_lines = repr(child).split("\n")
            lines.append(f"  ({name}): " + child_lines[0])
            lines += ["  " + line for line in child_lines[1:]]
        lines.append(")")
        return "\n".join(lines)
