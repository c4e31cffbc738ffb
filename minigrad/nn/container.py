"""`Sequential`: modules applied one after another."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .module import Module


class Sequential(Module):
    """model(x) = modules[-1](...modules[1](modules[0](x))). Children are named "0", "1", ..."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(module).__name__}, not a Module")
            setattr(self, str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            part = Sequential()
            # Filled directly: registering through setattr would rename the shared parameters
            # after their place in the slice, and the original model would show wrong names.
            kept = {str(i): m for i, m in enumerate(modules[index])}
            part._modules.update(kept)
            part.__dict__.update(kept)  # the registry's mirror (see Module.__setattr__)
            return part
        try:
            return modules[index]
        except IndexError:
            raise IndexError(f"Sequential: index {index} is out of range for {len(modules)} modules") from None

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
