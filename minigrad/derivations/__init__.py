"""Derivations written stage by stage, each stage checked on its own (see `stages.py`; the
central differences, rows and report are `minigrad.gradcheck`'s, `report.py` names the sections).

- `minigrad.derivations.batchnorm`: BatchNorm's nine training-mode stages and the inference-mode
  derivation; `check_stages(x, gamma, beta, mode="train"|"eval")`.
- `minigrad.derivations.dense_relu_mse`: a second derivation from the same machinery.
- `minigrad.derivations.seed004`: `explain()`, seed 004 answered with numbers.
"""

from . import batchnorm, dense_relu_mse, seed004
from .report import CheckRow, DerivationReport
from .stages import Derivation, Stage

__all__ = ["CheckRow", "Derivation", "DerivationReport", "Stage", "batchnorm", "dense_relu_mse", "seed004"]
