"""A minigrad model's and optimiser's state under PyTorch's and Keras's names and layouts, as NumPy.

No framework is imported: a PyTorch tensor or a Keras variable given to a `load_*` function is read
through `.detach().cpu().numpy()` or `np.asarray`. Every `load_*` checks everything before it
changes anything, and its ValueError names each layer, key and shape that did not fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..engine.tensor import Tensor
from ..nn import Module, Parameter
from ..optim import SGD, Adam, Optimizer
from ..tables import shape_str
from .layers import Field, describe, fields, join, leaves


def as_array(value: Any) -> np.ndarray:
    """A NumPy array from a NumPy array, a minigrad Tensor, a PyTorch tensor or a Keras variable."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor, without importing torch
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


def _torch_layout(tensor: Tensor, field: Field) -> np.ndarray:
    return tensor.data.T.copy() if field.transpose else tensor.data.copy()


def _torch_entries(model: Module) -> dict[str, tuple[str, Module, Field]]:
    """PyTorch state-dict key -> (layer path, layer, field), in PyTorch's order."""
    return {join(path, f.torch): (path, layer, f) for path, layer in leaves(model) for f in fields(layer)}


def torch_names(model: Module) -> dict[str, str]:
    """minigrad state-dict key -> PyTorch state-dict key, for every tensor the mapping carries."""
    keys = {id(t): name for name, t in model._named_tensors()}
    return {keys[id(getattr(layer, f.attr))]: key for key, (_, layer, f) in _torch_entries(model).items()}


def torch_state_dict(model: Module) -> dict[str, np.ndarray]:
    """The model's parameters and buffers under PyTorch's names and layouts (copies).

    `Dense.weight` (in, out) becomes `Linear.weight` (out, in); BatchNorm's `gamma`/`beta` become
    `weight`/`bias`, `moving_mean`/`moving_variance` become `running_mean`/`running_var`;
    `num_batches_tracked` keeps its name; Sequential indices stay ("1.running_mean").
    `torch_module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})` loads it.
    """
    return {key: _torch_layout(getattr(layer, f.attr), f) for key, (_, layer, f) in _torch_entries(model).items()}


def _load_checked(model: Module, function: str, new_values: dict[str, np.ndarray], problems: list[str]) -> None:
    """Write `new_values` (minigrad state-dict keys) through `Module.load_state_dict`, which
    checks dtypes and writes nothing on error; `problems` found earlier stop it first."""
    if not problems:
        state = model.state_dict()
        state.update(new_values)
        try:
            model.load_state_dict(state)
            return
        except ValueError as error:
            problems = [str(error)]
    raise ValueError(
        f"{function}: cannot load into {type(model).__name__}; nothing was changed.\n  " + "\n  ".join(problems)
    )


def _minigrad_key(model: Module, layer: Module, attr: str) -> str:
    tensor = getattr(layer, attr)
    for name, candidate in model._named_tensors():
        if candidate is tensor:
            return name
    raise AssertionError(f"{attr} of {type(layer).__name__} is not in the model's state")  # leaves() walked model


def load_torch_state_dict(model: Module, state_dict: Mapping[str, Any]) -> None:
    """Load a PyTorch state dict (NumPy arrays or torch tensors) into the minigrad model, in place.

    Every key must be there and nothing else, each in PyTorch's shape; on any problem a ValueError
    lists them all and the model is unchanged.
    """
    entries = _torch_entries(model)
    problems = [
        f"missing key {key!r} ({describe(path)}, {type(layer).__name__}.{f.attr})"
        for key, (path, layer, f) in entries.items()
        if key not in state_dict
    ]
    problems += [f"unexpected key {key!r}" for key in state_dict if key not in entries]
    new_values = {}
    for key, (path, layer, f) in entries.items():
        if key not in state_dict:
            continue
        array = as_array(state_dict[key])
        want = getattr(layer, f.attr).shape[:: -1 if f.transpose else 1]
        if array.shape != want:
            problems.append(
                f"shape mismatch: {key!r} ({describe(path)}, {type(layer).__name__}.{f.attr}): got "
                f"{shape_str(array.shape)}, PyTorch's layout is {shape_str(want)}"
                + (" (Linear.weight is (out_features, in_features))" if f.transpose else "")
            )
            continue
        new_values[_minigrad_key(model, layer, f.attr)] = array.T if f.transpose else array
    _load_checked(model, "load_torch_state_dict", new_values, problems)


def keras_weights(model: Module) -> list[list[np.ndarray]]:
    """One list per layer (Sequentials opened) in Keras's `layer.get_weights()` order (copies):
    Dense `[kernel, bias]` (kernel (in, out), as minigrad's), BatchNormalization
    `[gamma, beta, moving_mean, moving_variance]`, LayerNormalization `[gamma, beta]`, `[]` for
    layers without weights. Keras does not count batches: `num_batches_tracked` is not included.
    `keras_model.set_weights([w for layer in keras_weights(model) for w in layer])` loads it."""
    return [[getattr(layer, f.attr).data.copy() for f in fields(layer) if f.keras] for _, layer in leaves(model)]


def load_keras_weights(model: Module, weights: Sequence[Any]) -> None:
    """Load Keras weights into the minigrad model, in place: either one list per layer, as
    `keras_weights` gives (and `[layer.get_weights() for layer in keras_model.layers]` for a model
    made by `to_keras`), or the flat list of `keras_model.get_weights()`. `num_batches_tracked` keeps
    its value (Keras has none). On any problem a ValueError lists them all; nothing changes."""
    layers = leaves(model)
    wanted = [[f for f in fields(layer) if f.keras] for _, layer in layers]
    weights = list(weights)
    per_layer = bool(weights) and all(isinstance(w, (list, tuple)) for w in weights)
    problems: list[str] = []
    if per_layer:
        if len(weights) != len(layers):
            problems.append(f"got weight lists for {len(weights)} layers, the model has {len(layers)} layers")
            groups: list[list[Any]] = []
        else:
            groups = [list(w) for w in weights]
    else:
        total = sum(len(w) for w in wanted)
        if len(weights) != total:
            problems.append(f"got a flat list of {len(weights)} arrays, the model has {total} Keras weights")
            groups = []
        else:
            groups, start = [], 0
            for want in wanted:
                groups.append(weights[start : start + len(want)])
                start += len(want)
    new_values = {}
    for (path, layer), want, given in zip(layers, wanted, groups):
        names = [f.attr for f in want]
        if len(given) != len(want):
            problems.append(
                f"{describe(path)} ({type(layer).__name__}): got {len(given)} arrays, Keras's layout is "
                f"{len(want)}: [{', '.join(names)}]"
            )
            continue
        for f, value in zip(want, given):
            array = as_array(value)
            shape = getattr(layer, f.attr).shape
            if array.shape != shape:
                problems.append(
                    f"shape mismatch: {describe(path)} ({type(layer).__name__}.{f.attr}): got "
                    f"{shape_str(array.shape)}, expected {shape_str(shape)}"
                )
                continue
            new_values[_minigrad_key(model, layer, f.attr)] = array
    _load_checked(model, "load_keras_weights", new_values, problems)


# ----------------------------------------------------------------------------------- optimisers
def _param_fields(model: Module) -> dict[int, tuple[str, Module, Field]]:
    """id(parameter) -> (layer path, layer, field), for every parameter the mappings know."""
    return {
        id(getattr(layer, f.attr)): (path, layer, f)
        for path, layer in leaves(model)
        for f in fields(layer)
        if isinstance(getattr(layer, f.attr), Parameter)
    }


def optimizer_params(optimizer: Optimizer, model: Module, function: str) -> list[tuple[str, Module, Field]]:
    """(layer path, layer, field) of each of the optimiser's parameters, in its order."""
    known = _param_fields(model)
    out = []
    for i, p in enumerate(optimizer.params):
        if id(p) not in known:
            raise ValueError(f"{function}: the optimiser's parameter {i} ({p.name!r}) is not a parameter of the model")
        out.append(known[id(p)])
    return out


_TORCH_NAMES = {"m": "exp_avg", "v": "exp_avg_sq", "step": "step", "momentum_buffer": "momentum_buffer"}


def _check_kind(optimizer: Optimizer, function: str, framework: str) -> None:
    wanted = "paper" if framework == "PyTorch" else "tf"
    if isinstance(optimizer, Adam):
        if optimizer.convention != wanted:
            raise ValueError(
                f"{function}: Adam(convention={optimizer.convention!r}) is not {framework}'s Adam, which is "
                f"convention={wanted!r} (eps enters the update elsewhere); build the minigrad Adam with that"
            )
    elif not isinstance(optimizer, SGD):
        raise TypeError(f"{function}: {type(optimizer).__name__} has no {framework} mapping; supported: SGD, Adam")


def torch_optimizer_state(optimizer: Optimizer, model: Module) -> dict[int, dict[str, np.ndarray]]:
    """The optimiser's state as `torch.optim` keeps it, `{index: {"step", "exp_avg", "exp_avg_sq"}}`
    for Adam("paper"), `{index: {"momentum_buffer"}}` for SGD with momentum, indices in the
    optimiser's parameter order, `Dense.weight` moments transposed as `Linear.weight` is. It is the
    `"state"` of a torch optimiser's `state_dict()` over the same parameters in the same order."""
    _check_kind(optimizer, "torch_optimizer_state", "PyTorch")
    places = optimizer_params(optimizer, model, "torch_optimizer_state")
    out: dict[int, dict[str, np.ndarray]] = {}
    for key, value in optimizer.state_dict().items():
        index, name = key.split(".")
        i = int(index)
        if name == "step":
            array = np.array(float(value), dtype=np.float32)  # torch keeps the step as a float32 scalar
        else:
            array = value.T.copy() if places[i][2].transpose else value
        out.setdefault(i, {})[_TORCH_NAMES[name]] = array
    return out


def load_torch_optimizer_state(optimizer: Optimizer, model: Module, state: Mapping[int, Mapping[str, Any]]) -> None:
    """Load the `"state"` of a torch optimiser's `state_dict()` (NumPy or torch values) into the
    minigrad optimiser, whose parameters must be the torch optimiser's, in the same order."""
    _check_kind(optimizer, "load_torch_optimizer_state", "PyTorch")
    places = optimizer_params(optimizer, model, "load_torch_optimizer_state")
    back = {v: k for k, v in _TORCH_NAMES.items()}
    flat: dict[str, Any] = {}
    problems = []
    for i, entry in state.items():
        for name, value in entry.items():
            if value is None:  # torch's SGD without momentum keeps momentum_buffer=None
                continue
            if name not in back or not (isinstance(i, int) and 0 <= i < len(places)):
                problems.append(f"unexpected state {i!r}.{name!r}")
                continue
            array = as_array(value)
            if back[name] == "step":
                count = float(array.reshape(-1)[0]) if array.size == 1 else -1.0  # torch may keep shape (1,)
                if count != round(count) or count < 0:
                    problems.append(f"state {i}.step must be a non-negative whole number, got {array!r}")
                    continue
                array = np.array(round(count), dtype=np.int64)
            elif places[i][2].transpose:
                array = array.T
            flat[f"{i}.{back[name]}"] = array
    if problems:
        raise ValueError("load_torch_optimizer_state: nothing was changed; " + "; ".join(problems))
    optimizer.load_state_dict(flat)


def keras_optimizer_state(optimizer: Optimizer, model: Module) -> dict[str, Any]:
    """The optimiser's state as Keras 3 keeps it: `{"iterations": int, "momentums": [...],
    "velocities": [...]}` for Adam("tf") (one array per parameter, in the optimiser's order;
    Keras counts iterations once for all parameters, so every parameter must have the same step),
    `{"iterations": 0, "momentums": [...]}` for SGD with momentum, where Keras keeps the velocity
    `-lr * buf` (Keras's `v = momentum * v - lr * g; p += v` is minigrad's buffer form times -lr
    while lr is constant)."""
    _check_kind(optimizer, "keras_optimizer_state", "Keras")
    optimizer_params(optimizer, model, "keras_optimizer_state")
    state = optimizer.state_dict()
    params = optimizer.params
    if isinstance(optimizer, SGD):
        lr = optimizer.lr
        moms = [
            -lr * state[f"{i}.momentum_buffer"] if f"{i}.momentum_buffer" in state else np.zeros_like(p.data)
            for i, p in enumerate(params)
        ]
        return {"iterations": 0, "momentums": moms if optimizer.momentum else []}
    steps = {int(state.get(f"{i}.step", 0)) for i in range(len(params))}
    if len(steps) > 1:
        raise ValueError(
            f"keras_optimizer_state: the parameters were stepped different numbers of times ({sorted(steps)}); "
            "Keras counts iterations once for all of them"
        )
    zeros = [np.zeros_like(p.data) for p in params]
    return {
        "iterations": steps.pop(),
        "momentums": [state.get(f"{i}.m", zeros[i]).copy() for i in range(len(params))],
        "velocities": [state.get(f"{i}.v", zeros[i]).copy() for i in range(len(params))],
    }


def load_keras_optimizer_state(optimizer: Optimizer, model: Module, state: Mapping[str, Any]) -> None:
    """The inverse of `keras_optimizer_state` (values may be NumPy arrays or Keras variables)."""
    _check_kind(optimizer, "load_keras_optimizer_state", "Keras")
    optimizer_params(optimizer, model, "load_keras_optimizer_state")
    n = len(optimizer.params)
    flat: dict[str, Any] = {}
    if isinstance(optimizer, SGD):
        moms = list(state.get("momentums", []))
        if optimizer.momentum and len(moms) != n:
            raise ValueError(f"load_keras_optimizer_state: got {len(moms)} momentums for {n} parameters")
        if moms and optimizer.momentum and not optimizer.lr:
            raise ValueError("load_keras_optimizer_state: with lr=0 Keras's velocity says nothing about the buffer")
        for i, m in enumerate(moms if optimizer.momentum else []):
            flat[f"{i}.momentum_buffer"] = as_array(m) / -optimizer.lr
    else:
        t = int(as_array(state["iterations"]))
        moms, vels = list(state["momentums"]), list(state["velocities"])
        if len(moms) != n or len(vels) != n:
            raise ValueError(
                f"load_keras_optimizer_state: got {len(moms)} momentums and {len(vels)} velocities for {n} parameters"
            )
        if t:
            for i in range(n):
                flat[f"{i}.step"] = np.array(t, dtype=np.int64)
                flat[f"{i}.m"], flat[f"{i}.v"] = as_array(moms[i]), as_array(vels[i])
    optimizer.load_state_dict(flat)
