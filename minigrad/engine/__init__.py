"""The autograd engine: `tensor` (Tensor and op application),
`graph` (the reverse-mode pass), `mode` (no_grad), `anomaly`, `dtypes`, `random`, `hooks`.

It stands on `minigrad.ops` (the op base and every op) and never the other way round.
"""
