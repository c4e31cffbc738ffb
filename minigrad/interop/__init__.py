"""Moving to PyTorch and Keras: the same model, the same numbers.

Pure NumPy (no framework needed): `torch_state_dict` / `load_torch_state_dict`, `keras_weights` /
`load_keras_weights`, and the optimiser state `torch_optimizer_state` / `keras_optimizer_state`
(with their `load_*`). With the framework installed: `to_torch` / `from_torch`, `to_keras` /
`from_keras` build the equivalent model, `to_torch_optimizer` / `to_keras_optimizer` (and their
`from_*`) the optimiser, so that a training run continues in the other framework.

The BatchNorm conventions are mapped explicitly (`torch_batchnorm_options`,
`keras_batchnorm_options`), and a UserWarning names each layer whose convention has no equivalent.
"""

from .keras_bridge import from_keras, from_keras_optimizer, to_keras, to_keras_optimizer
from .layers import SUPPORTED, keras_batchnorm_options, torch_batchnorm_options
from .state import (
    keras_optimizer_state,
    keras_weights,
    load_keras_optimizer_state,
    load_keras_weights,
    load_torch_optimizer_state,
    load_torch_state_dict,
    torch_optimizer_state,
    torch_state_dict,
)
from .torch_bridge import from_torch, from_torch_optimizer, to_torch, to_torch_optimizer

__all__ = [
    "SUPPORTED",
    "from_keras",
    "from_keras_optimizer",
    "from_torch",
    "from_torch_optimizer",
    "keras_batchnorm_options",
    "keras_optimizer_state",
    "keras_weights",
    "load_keras_optimizer_state",
    "load_keras_weights",
    "load_torch_optimizer_state",
    "load_torch_state_dict",
    "to_keras",
    "to_keras_optimizer",
    "to_torch",
    "to_torch_optimizer",
    "torch_batchnorm_options",
    "torch_optimizer_state",
    "torch_state_dict",
]
