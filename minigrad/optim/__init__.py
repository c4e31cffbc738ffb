"""Optimisers: `SGD` and `Adam`, on top of the `Optimizer` base class.

opt = mg.optim.Adam(model.parameters(), lr=1e-3)
for x, y in batches:
    opt.zero_grad()
    loss = mg.nn.mse_loss(model(x), y)
    loss.backward()
    opt.step()
"""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer"]
