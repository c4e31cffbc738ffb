"""The autograd engine: `tensor` (Tensor and op application),
`graph` (the reverse-mode pass), `inplace` (version counters that catch in-place changes),
`mode` (no_grad, per thread), `anomaly`, `dtypes`, `random`, `hooks`.

It stands on `minigrad.ops` (the op base and every op) and never the other way round.
"""
