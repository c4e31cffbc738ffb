"""Step-through debugging: look at a backward pass node by node, and at what BatchNorm records.

- `backward_steps(t, grad=None, retain_graph=False)`: the backward pass as a generator, one
  `BackwardStep` per node (op, name, gradient arriving, gradients sent to each input).
- `trace(t)`: every node of the graph behind `t` in execution order, as a table.
- `draw(t, ax=None)`: a matplotlib picture of that graph (op, shape, gradient norms).
- `stepper(t)`: the backward pass of `t` as an interactive, self-contained HTML view (graph,
  current node, gradients in and out; buttons and arrow keys), for notebooks and HTML copies.
- `BatchNormRecorder(model)` / `record_batchnorm(model)`: per-step batch and moving statistics
  of every BatchNorm layer while a model trains (plot them with `minigrad.debug.plot`).

Anomaly detection (`mg.detect_anomaly()`) and gradient hooks (`Tensor.register_hook`) live in
the engine; they are re-exported here so that everything for debugging is in one place.
"""

from ..engine.anomaly import AnomalyError, detect_anomaly
from . import plot  # matplotlib is imported inside its functions, never at import
from .drawing import draw
from .recorder import BatchNormRecord, BatchNormRecorder, record_batchnorm
from .stepper import Stepper, stepper
from .steps import BackwardStep, backward_steps
from .tracing import Trace, TraceRow, trace

__all__ = [
    "AnomalyError",
    "BackwardStep",
    "BatchNormRecord",
    "BatchNormRecorder",
    "Stepper",
    "Trace",
    "TraceRow",
    "backward_steps",
    "detect_anomaly",
    "draw",
    "plot",
    "record_batchnorm",
    "stepper",
    "trace",
]
