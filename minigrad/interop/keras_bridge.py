"""`to_keras` / `from_keras`: the same model, and its optimiser, in Keras 3 (when it is installed).

Keras runs on whichever backend it is configured for (TensorFlow, or PyTorch with
KERAS_BACKEND=torch); nothing here depends on which.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..nn import BatchNorm, Dense, Dropout, LayerNorm, Module, ReLU, Sequential, Sigmoid, Tanh
from ..optim import SGD, Adam, Optimizer
from .layers import ACTIVATIONS, batchnorm_from_keras, fields, keras_batchnorm_options, kind, leaves, warn
from .state import as_array, keras_optimizer_state, keras_weights, load_keras_optimizer_state


def _keras() -> Any:
    try:
        import keras
    except ImportError:
        raise ImportError(
            "minigrad.interop: building a Keras model needs Keras 3 and a backend (pip install 'minigrad[keras]'); "
            "keras_weights / load_keras_weights work without it"
        ) from None
    return keras


def _dtype(layer: Module) -> str | None:
    tensors = [t for _, t in layer._named_tensors() if t.dtype.kind == "f"]
    return str(tensors[0].dtype) if tensors else None


def _input_shape(layers: list[tuple[str, Module]]) -> tuple[int, ...]:
    for _, layer in layers:
        if isinstance(layer, Dense):
            return (layer.in_features,)
        if kind(layer) in ("BatchNorm", "LayerNorm"):
            return (layer.num_features,)
    raise ValueError("to_keras: cannot tell the input's shape from the model's layers; pass input_shape")


def _build(keras: Any, path: str, layer: Module, dtype: str | None) -> Any:
    kl = keras.layers
    name = kind(layer)
    if name == "Dense":
        return kl.Dense(layer.out_features, use_bias=layer.bias is not None, dtype=dtype)
    if isinstance(layer, BatchNorm):
        options, notes = keras_batchnorm_options(layer)
        for note in notes:
            warn("to_keras", path, layer, note)
        return kl.BatchNormalization(**options, dtype=dtype)
    if name == "LayerNorm":
        return kl.LayerNormalization(axis=-1, epsilon=layer.eps, dtype=dtype)
    if name == "Dropout":
        return kl.Dropout(layer.p, dtype=dtype)
    return kl.Activation(ACTIVATIONS[type(layer)], dtype=dtype)


def to_keras(model: Module, input_shape: tuple[int, ...] | None = None) -> Any:
    """The equivalent `keras.Sequential`, with the same weights and moving statistics.

    Sequentials are flattened (one Keras layer per minigrad layer, in order). `input_shape` is one
    sample's shape without the batch axis; by default the first Dense's `in_features` (or
    BatchNorm's/LayerNorm's `num_features`), the flat (N, D) case. BatchNorm keeps its `axis`
    (Keras takes any), `momentum` (the fraction kept in both) and `eps`; a UserWarning names each
    layer whose convention Keras cannot express. `trainable` carries over (a frozen Keras
    BatchNormalization runs in inference mode, as minigrad's). Keras has no stored train/eval mode:
    call the model with `training=True` or `False`.
    """
    keras = _keras()
    layers = leaves(model)
    shape = tuple(input_shape) if input_shape is not None else _input_shape(layers)
    dtype = next((d for _, layer in layers if (d := _dtype(layer))), None)
    built = [_build(keras, path, layer, _dtype(layer) or dtype) for path, layer in layers]
    out = keras.Sequential([keras.Input(shape=shape, dtype=dtype), *built])
    for (_, layer), target, weights in zip(layers, built, keras_weights(model)):
        target.set_weights(weights)
        target.trainable = layer.trainable
    return out


def _flat_layers(keras: Any, model: Any) -> list[Any]:
    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Sequential):
            out += _flat_layers(keras, layer)
        elif not isinstance(layer, keras.layers.InputLayer):
            out.append(layer)
    return out


_ACTIVATION_LAYERS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def _activation(name: str, where: str) -> list[Module]:
    if name == "linear":
        return []
    if name in _ACTIVATION_LAYERS:
        return [_ACTIVATION_LAYERS[name]()]
    raise TypeError(f"from_keras: {where} uses activation {name!r}, which has no minigrad layer")


def _from(keras: Any, index: int, layer: Any) -> list[Module]:
    kl = keras.layers
    where = f"layer {index} ({type(layer).__name__} {layer.name!r})"
    dtype = np.dtype(layer.variable_dtype) if layer.weights else None
    if type(layer) is kl.Dense:
        dense = Dense(layer.kernel.shape[0], layer.units, bias=layer.use_bias, dtype=dtype)
        return [dense, *_activation(keras.activations.serialize(layer.activation), where)]
    if type(layer) is kl.BatchNormalization:
        axis = layer.axis[0] if isinstance(layer.axis, (list, tuple)) and len(layer.axis) == 1 else layer.axis
        if not isinstance(axis, int) or layer.center != layer.scale or getattr(layer, "renorm", False):
            raise ValueError(f"from_keras: {where}: minigrad's BatchNorm needs one axis, center == scale, no renorm")
        num = int(layer.moving_mean.shape[0])
        return [BatchNorm(**batchnorm_from_keras(num, axis, layer.momentum, layer.epsilon, layer.center), dtype=dtype)]
    if type(layer) is kl.LayerNormalization:
        axis = layer.axis[0] if isinstance(layer.axis, (list, tuple)) and len(layer.axis) == 1 else layer.axis
        rank = len(layer.input.shape) if hasattr(layer, "input") else 2
        if axis not in (-1, rank - 1) or not (layer.center and layer.scale) or getattr(layer, "rms_scaling", False):
            raise ValueError(f"from_keras: {where}: minigrad's LayerNorm normalises the last axis with gamma and beta")
        return [LayerNorm(int(layer.gamma.shape[0]), eps=layer.epsilon, dtype=dtype)]
    if type(layer) is kl.Activation:
        return _activation(keras.activations.serialize(layer.activation), where)
    if type(layer) is kl.ReLU:
        if layer.max_value is not None or layer.negative_slope or layer.threshold:
            raise ValueError(f"from_keras: {where}: only the plain ReLU (no max_value, slope, threshold) maps")
        return _activation("relu", where)
    if type(layer) is kl.Dropout:
        if layer.noise_shape is not None:
            raise ValueError(f"from_keras: {where}: Dropout with a noise_shape has no minigrad equivalent")
        return [Dropout(p=layer.rate)]
    raise TypeError(
        f"from_keras: {where} has no minigrad equivalent; supported: Dense, BatchNormalization, "
        "LayerNormalization, ReLU, Activation (relu/tanh/sigmoid/linear), Dropout"
    )


def from_keras(model: Any) -> Sequential:
    """The minigrad `Sequential` equivalent to a built Keras Sequential model (the inverse of
    `to_keras`): same weights and moving statistics; `BatchNorm(convention="keras")` keeps
    momentum (the fraction kept), epsilon and axis. A Dense's built-in activation becomes its own
    layer. `num_batches_tracked` starts at 0 (Keras does not count batches)."""
    keras = _keras()
    layers = _flat_layers(keras, model)
    modules: list[Module] = []
    for i, layer in enumerate(layers):
        made = _from(keras, i, layer)
        weights = [as_array(w) for w in layer.get_weights()]
        if made and fields(made[0]):
            for f, w in zip([f for f in fields(made[0]) if f.keras], weights):
                getattr(made[0], f.attr).data[...] = w
        for module in made:
            module.trainable = bool(layer.trainable)
        modules += made
    return Sequential(*modules)


def _weighted_pairs(keras: Any, model: Module, keras_model: Any) -> dict[int, Any]:
    """id(minigrad parameter) -> the Keras variable it corresponds to (layers with weights, in order)."""
    ours = [layer for _, layer in leaves(model) if fields(layer)]
    theirs = [layer for layer in _flat_layers(keras, keras_model) if layer.weights]
    if len(ours) != len(theirs):
        raise ValueError(f"minigrad.interop: {len(ours)} minigrad layers have weights, {len(theirs)} Keras layers do")
    out = {}
    for layer, klayer in zip(ours, theirs):
        params = [getattr(layer, f.attr) for f in fields(layer) if f.attr in ("weight", "bias", "gamma", "beta")]
        for p, v in zip(params, klayer.weights):  # gamma, beta (kernel, bias) come first
            out[id(p)] = v
    return out


def to_keras_optimizer(optimizer: Optimizer, model: Module, keras_model: Any) -> Any:
    """A `keras.optimizers.Adam` (for Adam "tf") or `keras.optimizers.SGD`, built over `keras_model`'s
    variables with the minigrad optimiser's hyper-parameters and state, so that training continues
    step for step (`keras_opt.apply(grads, keras_model.trainable_variables)`)."""
    keras = _keras()
    state = keras_optimizer_state(optimizer, model)  # checks the optimiser's kind and parameters
    pairs = _weighted_pairs(keras, model, keras_model)
    variables = [pairs[id(p)] for p in optimizer.params]
    assert isinstance(optimizer, (SGD, Adam))  # keras_optimizer_state refused anything else
    hypers: dict[str, Any] = {"lr": optimizer.lr}
    if isinstance(optimizer, Adam):
        hypers["betas"] = optimizer.betas
    rounded = [f"{k}={v!r}" for k, v in hypers.items() if np.any(np.asarray(v, np.float32) != np.asarray(v))]
    if rounded:
        warnings.warn(
            f"to_keras_optimizer: Keras keeps the learning rate in float32 (and TensorFlow reads the betas as "
            f"float32): {', '.join(rounded)} will be rounded, so the runs differ from about the 7th digit; "
            "float32-exact values such as lr=2**-7 compare to float64 precision",
            UserWarning,
            stacklevel=2,
        )
    out: Any
    if isinstance(optimizer, Adam):
        b1, b2 = optimizer.betas
        out = keras.optimizers.Adam(learning_rate=optimizer.lr, beta_1=b1, beta_2=b2, epsilon=optimizer.eps)
        out.build(variables)
        for i in range(len(variables)):
            out._momentums[i].assign(state["momentums"][i])
            out._velocities[i].assign(state["velocities"][i])
    else:
        assert isinstance(optimizer, SGD)
        out = keras.optimizers.SGD(learning_rate=optimizer.lr, momentum=optimizer.momentum)
        out.build(variables)
        for i, m in enumerate(state["momentums"]):
            out.momentums[i].assign(m)
    out.iterations.assign(state["iterations"])
    return out


def from_keras_optimizer(keras_optimizer: Any, keras_model: Any, model: Module) -> Optimizer:
    """A minigrad Adam("tf") or SGD over `model`'s parameters with the Keras optimiser's
    hyper-parameters and state (the inverse of `to_keras_optimizer`; it must be built over
    `keras_model`'s variables). Parameters come in the Keras optimiser's variable order."""
    keras = _keras()
    pairs = _weighted_pairs(keras, model, keras_model)
    params_of = {id(v): p for p in model.parameters() if id(p) in pairs for v in [pairs[id(p)]]}
    built = getattr(keras_optimizer, "_trainable_variables", None)
    if not built:
        raise ValueError("from_keras_optimizer: the Keras optimiser is not built yet (it has no variables)")
    try:
        params = [params_of[id(v)] for v in built]
    except KeyError:
        raise ValueError(
            "from_keras_optimizer: the Keras optimiser trains a variable that is not in keras_model"
        ) from None
    lr = float(as_array(keras_optimizer.learning_rate))
    opt: Optimizer
    if isinstance(keras_optimizer, keras.optimizers.Adam):
        if keras_optimizer.amsgrad:
            raise ValueError("from_keras_optimizer: amsgrad has no minigrad equivalent")
        opt = Adam(
            params,
            lr=lr,
            betas=(float(keras_optimizer.beta_1), float(keras_optimizer.beta_2)),
            eps=float(keras_optimizer.epsilon),
            convention="tf",
        )
        state = {
            "iterations": keras_optimizer.iterations,
            "momentums": keras_optimizer._momentums,
            "velocities": keras_optimizer._velocities,
        }
    elif isinstance(keras_optimizer, keras.optimizers.SGD):
        if keras_optimizer.nesterov:
            raise ValueError("from_keras_optimizer: Nesterov momentum has no minigrad equivalent")
        opt = SGD(params, lr=lr, momentum=float(keras_optimizer.momentum))
        state = {"iterations": keras_optimizer.iterations, "momentums": keras_optimizer.momentums}
    else:
        raise TypeError(f"from_keras_optimizer: {type(keras_optimizer).__name__} has no minigrad equivalent")
    load_keras_optimizer_state(opt, model, state)
    return opt
