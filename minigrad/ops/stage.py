"""A *stage*: one named step `y = f(inputs)` of a forward pass with its local backward, written
once, side by side, and usable two ways:

- in a derivation (`minigrad.derivations.Derivation`): the stages run on NumPy arrays, each
  checked on its own against central differences (lesson 05, the exercises);
- as an op of the engine's graph: every stage class has `.op`, a `Function` named after the
  stage, so `apply(Mu.op, x, rows=...)` is one node `mu` that `trace`, `draw`, `backward_steps`
  and the stepper show (what `BatchNorm(impl="staged")` is built from).

A stage is a class with a name, the names of its inputs, `forward` and `backward` (BatchNorm's
nine, in `ops/batchnorm_stages.py`, are the examples; `IVar` is the smallest). The first line of
the class docstring is the forward formula, the first line of `backward`'s the local backward.

Arguments are matched BY NAME: a derivation looks them up among the values known so far; the
op binds its array inputs to `inputs`, in order, and its keyword parameters to their names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from .base import Context, Function


def first_line(doc: str | None) -> str:
    """The first line of a docstring ("" for none): a stage's formula."""
    return inspect.cleandoc(doc).splitlines()[0].strip() if doc else ""


def call_by_name(fn: Callable[..., Any], grad: Any, values: Mapping[str, Any], what: str) -> Any:
    """Call `fn`, passing `grad` first (unless it is None) and every other argument by name.

    An argument named `cache` receives `values` itself; an argument with a default that `values`
    lacks keeps its default; any other unknown name is a clear error.
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(f"{what}: cannot read the signature of {fn!r}") from None
    args = []
    if grad is not None:
        if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
            raise TypeError(f"{what}: the first argument must be the upstream gradient")
        args.append(grad)
        params = params[1:]
    kwargs = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name == "cache":
            kwargs[p.name] = values
        elif p.name in values:
            kwargs[p.name] = values[p.name]
        elif p.default is p.empty:
            raise TypeError(
                f"{what}: argument {p.name!r} is not a value of this derivation; "
                f"arguments are looked up by name among: {', '.join(values)} (or `cache` for all of them)"
            )
    return fn(*args, **kwargs)


class StageOp(Function):
    """A stage as an op of the graph: the stage's forward, and its local backward as the op's.

    The array inputs are the stage's `inputs` in order; keyword parameters are its constants
    (`eps=...`). Backward reads what forward was given (the stage's inputs and constants) and the
    stage's output when its signature names it.
    """

    stage: ClassVar[type[Stage]]
    #: Whether backward reads the stage's own output (else it is not kept: nothing to invalidate).
    saves_output: ClassVar[bool] = False

    @classmethod
    def forward(cls, ctx: Context, *arrays: np.ndarray, **constants: Any) -> np.ndarray:
        stage = cls.stage
        if len(arrays) != len(stage.inputs):
            raise TypeError(
                f"{stage.name}: expected {len(stage.inputs)} input(s) ({', '.join(stage.inputs)}), got {len(arrays)}"
            )
        values = {**constants, **dict(zip(stage.inputs, arrays))}
        out = np.asarray(call_by_name(stage.forward, None, values, f"{stage.name}: forward"))
        if cls.saves_output:
            values[stage.name] = out
        # names and values as tuples: the engine's in-place check scans tuples of saved arrays
        ctx.names, ctx.saved = tuple(values), tuple(values.values())
        return out

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> Any:
        values = dict(zip(ctx.names, ctx.saved))
        return call_by_name(cls.stage.backward, grad, values, f"{cls.stage.name}: backward")


class Stage:
    """One named step of a forward pass with its local backward (see the module docstring).

    - `name`: the value the stage computes. `inputs`: the values it is differentiated with
      respect to (constants such as `eps` are read by forward/backward but get no gradient).
    - `forward(...)`: arguments are looked up BY NAME among the values known so far (the
      derivation's inputs and constants, and the outputs of earlier stages).
    - `backward(grad, ...)`: `grad` (any name; `d<name>` by convention) is the gradient of the
      loss with respect to this stage's output. The other arguments are values looked up by name
      (the stage's own output included); an argument named `cache` receives the dict of all
      values. Returns the gradient for each entry of `inputs`, in order: one array, or a tuple.
    - The class docstring's first line is the forward formula, `backward`'s the local backward.
    - `op`: the stage as an op of the graph (`StageOp`), made when the class is defined; as an
      op, backward sees only the stage's own inputs and constants.
    """

    name: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]
    op: ClassVar[type[StageOp]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # a concrete stage: its op carries its name and formula
            try:
                saves_output = cls.name in inspect.signature(cls.backward).parameters
            except (TypeError, ValueError):  # a signature we cannot read: keep the output to be safe
                saves_output = True
            namespace = {"name": cls.name, "stage": cls, "saves_output": saves_output, "__doc__": cls.__doc__}
            cls.op = type(cls.__name__, (StageOp,), namespace)

    @staticmethod
    def forward(*args: Any) -> np.ndarray:  # pragma: no cover - every stage defines its own
        raise NotImplementedError

    @staticmethod
    def backward(grad: np.ndarray, *args: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def formula(cls) -> str:
        """The forward formula (first line of the class docstring)."""
        return first_line(cls.__doc__) or cls.name

    @classmethod
    def backward_formula(cls) -> str:
        """The local backward formula (first line of `backward`'s docstring)."""
        return first_line(cls.backward.__doc__)
