"""The autograd engine: `function` (the op base class), `tensor` (Tensor and op application),
`graph` (the reverse-mode pass), `mode` (no_grad), `anomaly`, `dtypes`, `random`, `hooks`.

Kept import-free so that `minigrad.ops` can import `engine.function` without a cycle.
"""
