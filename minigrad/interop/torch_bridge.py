"""`to_torch` / `from_torch`: the same model, and its optimiser, in PyTorch (when it is installed)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn import BatchNorm, Dense, Dropout, LayerNorm, Module, ReLU, Sequential, Sigmoid, Tanh
from ..optim import SGD, Adam, Optimizer
from .layers import ACTIVATIONS, describe, join, kind, leaves, torch_batchnorm_options, warn
from .layers import batchnorm_from_torch as _bn_args
from .state import (
    as_array,
    load_torch_optimizer_state,
    load_torch_state_dict,
    torch_names,
    torch_optimizer_state,
    torch_state_dict,
)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "minigrad.interop: building a PyTorch model needs PyTorch (pip install 'minigrad[torch]'); "
            "torch_state_dict / load_torch_state_dict work without it"
        ) from None
    return torch


def _torch_dtype(torch: Any, layer: Module) -> Any:
    tensors = [t for _, t in layer._named_tensors() if t.dtype.kind == "f"]
    return getattr(torch, str(tensors[0].dtype)) if tensors else None


def _batchnorm_class(torch: Any, path: str, bn: BatchNorm, ndim: int) -> Any:
    channel = bn.axis % ndim
    if channel != 1:
        raise ValueError(
            f"to_torch: {describe(path)} (BatchNorm, axis={bn.axis}) normalises axis {channel} of a {ndim}-D input; "
            "PyTorch's BatchNorm normalises axis 1 (NCHW). Transpose the data to channels-first and use "
            "BatchNorm(axis=1), or carry the model to Keras, whose BatchNormalization takes any axis"
        )
    if ndim not in (2, 3, 4, 5):
        raise ValueError(f"to_torch: {describe(path)} (BatchNorm): PyTorch has no BatchNorm for {ndim}-D inputs")
    return {2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d, 5: torch.nn.BatchNorm3d}[ndim]


def _build(torch: Any, path: str, layer: Module, ndim: int) -> Any:
    name = kind(layer)
    if name == "Sequential":
        return torch.nn.Sequential(
            *[_build(torch, join(path, child_name), child, ndim) for child_name, child in layer.named_children()]
        )
    dtype = _torch_dtype(torch, layer)
    if name == "Dense":
        return torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=dtype)
    if isinstance(layer, BatchNorm):
        options, notes = torch_batchnorm_options(layer)
        for note in notes:
            warn("to_torch", path, layer, note)
        return _batchnorm_class(torch, path, layer, ndim)(**options, dtype=dtype)
    if name == "LayerNorm":
        return torch.nn.LayerNorm(layer.num_features, eps=layer.eps, dtype=dtype)
    if name == "Dropout":
        return torch.nn.Dropout(layer.p)
    return {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[ACTIVATIONS[type(layer)]]()


def to_torch(model: Module, input_shape: tuple[int, ...] | None = None) -> Any:
    """The equivalent `torch.nn` model, with the same weights, moving statistics and modes.

    `input_shape` (one sample, without the batch axis) matters only for BatchNorm: PyTorch has one
    class per input rank (BatchNorm1d for (N, C) and (N, C, L), BatchNorm2d for (N, C, H, W)), and
    its channel axis is always 1; the default is the flat (N, D) case. A BatchNorm over the last
    axis of a 4-D input (NHWC) is a ValueError: PyTorch has no such layer. Momentum becomes
    `1 - kept` (`"cumulative"` becomes `momentum=None`); a UserWarning names each BatchNorm whose
    moving-variance convention PyTorch cannot express. A frozen (`trainable=False`) layer gets
    `requires_grad=False` parameters, and a frozen BatchNorm is put in eval mode with a warning
    (PyTorch has no frozen-means-inference rule: `module.train()` would undo it).
    """
    torch = _torch()
    ndim = 2 if input_shape is None else len(input_shape) + 1
    layers = leaves(model)  # raises first, naming an unsupported layer
    module = _build(torch, "", model, ndim)
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in torch_state_dict(model).items()})
    module.train(model.training)
    for path, layer in layers:
        target = module.get_submodule(path) if path else module
        target.train(layer.training)
        if not layer.trainable:
            target.requires_grad_(False)
            if isinstance(layer, BatchNorm) and layer.training:
                target.eval()
                warn(
                    "to_torch",
                    path,
                    layer,
                    "frozen in training mode runs in inference mode: the PyTorch layer is "
                    "put in eval() (module.train() would make it update its statistics again)",
                )
    return module


def _from(torch: Any, path: str, module: Any) -> Module:
    tnn = torch.nn
    name = f"{describe(path)} ({type(module).__name__})"
    if type(module) is tnn.Sequential:
        return Sequential(*[_from(torch, join(path, n), m) for n, m in module.named_children()])
    dtype = next((np.dtype(str(t.dtype).removeprefix("torch.")) for t in module.parameters()), None)
    if type(module) is tnn.Linear:
        return Dense(module.in_features, module.out_features, bias=module.bias is not None, dtype=dtype)
    if type(module) in (tnn.BatchNorm1d, tnn.BatchNorm2d, tnn.BatchNorm3d):
        if not module.track_running_stats:
            raise ValueError(
                f"from_torch: {name} has track_running_stats=False; minigrad's BatchNorm always keeps them"
            )
        dtype = np.dtype(str(module.running_mean.dtype).removeprefix("torch."))
        return BatchNorm(**_bn_args(module.num_features, module.momentum, module.eps, module.affine), dtype=dtype)
    if type(module) is tnn.LayerNorm:
        shape = tuple(module.normalized_shape)
        if len(shape) != 1 or not module.elementwise_affine or module.bias is None:
            raise ValueError(
                f"from_torch: {name}: minigrad's LayerNorm normalises the last axis with gamma and beta; "
                f"got normalized_shape={shape}, elementwise_affine={module.elementwise_affine}"
            )
        return LayerNorm(shape[0], eps=module.eps, dtype=dtype)
    if type(module) is tnn.Dropout:
        return Dropout(p=module.p)
    simple: dict[Any, type[Module]] = {tnn.ReLU: ReLU, tnn.Tanh: Tanh, tnn.Sigmoid: Sigmoid}
    if type(module) in simple:
        return simple[type(module)]()
    raise TypeError(
        f"from_torch: {name} has no minigrad equivalent; supported: Sequential, Linear, "
        "BatchNorm1d/2d/3d, LayerNorm, ReLU, Tanh, Sigmoid, Dropout"
    )


def from_torch(module: Any) -> Module:
    """The minigrad model equivalent to a `torch.nn` model (the inverse of `to_torch`): same
    weights, moving statistics and modes. PyTorch's BatchNorm becomes `BatchNorm(axis=1,
    convention="torch")` (unbiased running variance) with `momentum = 1 - torch_momentum`
    (`momentum=None` becomes `"cumulative"`)."""
    torch = _torch()
    model = _from(torch, "", module)
    load_torch_state_dict(model, module.state_dict())
    names = dict(module.named_modules())
    for path, layer in model.named_modules():
        layer.train(names[path].training)
    return model


def to_torch_optimizer(optimizer: Optimizer, model: Module, torch_model: Any) -> Any:
    """A `torch.optim.Adam` (for Adam "paper") or `torch.optim.SGD` over `torch_model`'s parameters
    (in the minigrad optimiser's order) with the same hyper-parameters and state, so that training
    continues step for step."""
    torch = _torch()
    state = torch_optimizer_state(optimizer, model)  # checks the optimiser's kind and parameters
    by_id = {id(t): name for name, t in model._named_tensors()}
    torch_of = torch_names(model)
    params = [torch_model.get_parameter(torch_of[by_id[id(p)]]) for p in optimizer.params]
    if isinstance(optimizer, Adam):
        out = torch.optim.Adam(params, lr=optimizer.lr, betas=optimizer.betas, eps=optimizer.eps)
    else:
        assert isinstance(optimizer, SGD)
        out = torch.optim.SGD(params, lr=optimizer.lr, momentum=optimizer.momentum)
    saved = out.state_dict()
    saved["state"] = {i: {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in s.items()} for i, s in state.items()}
    out.load_state_dict(saved)
    return out


def from_torch_optimizer(torch_optimizer: Any, torch_model: Any, model: Module) -> Optimizer:
    """A minigrad Adam("paper") or SGD over `model`'s parameters matching `torch_optimizer`'s (one
    parameter group, no weight decay), with its state: the inverse of `to_torch_optimizer`."""
    torch = _torch()
    groups = torch_optimizer.param_groups
    if len(groups) != 1:
        raise ValueError(f"from_torch_optimizer: got {len(groups)} parameter groups; minigrad optimisers have one")
    group = groups[0]
    if group.get("weight_decay", 0) or group.get("maximize") or group.get("amsgrad") or group.get("nesterov"):
        raise ValueError(
            "from_torch_optimizer: weight_decay, maximize, amsgrad and nesterov have no minigrad equivalent"
        )
    torch_key_of = {id(t): name for name, t in torch_model.named_parameters()}
    minigrad_of = {v: k for k, v in torch_names(model).items()}
    tensors = dict(model._named_tensors())
    try:
        params = [tensors[minigrad_of[torch_key_of[id(p)]]] for p in group["params"]]
    except KeyError:
        raise ValueError(
            "from_torch_optimizer: the torch optimiser trains a tensor that is not in torch_model"
        ) from None
    opt: Optimizer
    if isinstance(torch_optimizer, torch.optim.Adam):
        opt = Adam(params, lr=float(group["lr"]), betas=tuple(group["betas"]), eps=float(group["eps"]))
    elif isinstance(torch_optimizer, torch.optim.SGD):
        if group.get("dampening", 0):
            raise ValueError("from_torch_optimizer: SGD dampening has no minigrad equivalent")
        opt = SGD(params, lr=float(group["lr"]), momentum=float(group["momentum"]))
    else:
        raise TypeError(f"from_torch_optimizer: {type(torch_optimizer).__name__} has no minigrad equivalent")
    state = torch_optimizer.state_dict()["state"]
    load_torch_optimizer_state(opt, model, {i: {k: as_array(v) for k, v in s.items()} for i, s in state.items()})
    return opt
