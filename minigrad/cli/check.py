"""`python -m minigrad check TARGET`: print a derivation's stage-by-stage check; exit 1 when it fails.

python -m minigrad check batchnorm                      # training mode, eps=1e-5, seed 0
python -m minigrad check batchnorm --mode eval --eps 1e-3 --moving-variance 0.5
python -m minigrad check batchnorm --override ivar=my_bn.py:ivar_backward
python -m minigrad check batchnorm --student my_bn.py:backward
python -m minigrad check dense-relu-mse
python -m minigrad check seed004                        # seed 004 answered, with numbers
python -m minigrad check my_layer.py:DERIVATION         # your own Derivation, stage by stage

Tables fit 100 columns (long cells wrapped); `--wide` prints them unwrapped.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..derivations import Derivation, batchnorm, dense_relu_mse, seed004
from ..derivations.report import DerivationReport

TARGETS = ("batchnorm", "dense-relu-mse", "seed004")
#: The widest line of the printed report unless --wide.
WIDTH = 100

DESCRIPTION = """\
Check a derivation stage by stage: each stage's local backward against central differences in
isolation, then the whole backward against every other way of computing it. Prints the table;
exits 0 when every row passes, 1 when one fails, 2 on a usage error.

targets:
  batchnorm       BatchNorm's nine training-mode stages (--mode train) or the inference-mode
                  derivation (--mode eval, moving statistics as constants)
  dense-relu-mse  Dense -> ReLU -> MSE, the second worked derivation
  seed004         seed 004 answered: why a naive backward disagreed with TensorFlow
  FILE.py:NAME    your own Derivation: NAME is a Derivation made with example values
                  (Derivation(..., example={...}) or example=lambda rng: {...}), or a function
                  returning a Derivation or (derivation, values)

your own code (MODULE is an importable module or a path to a .py file):
  --override STAGE=MODULE:FUNC   your local backward for one stage, e.g. ivar=my_bn.py:ivar_backward
                                 with the stage's signature: ivar_backward(divar, sqrtvar) -> dsqrtvar
  --student MODULE:FUNC          your whole backward, FUNC(dout, cache) returning a dict of gradients
                                 by name ({"dxhat": ..., "divar": ..., "dx": ...}) or (dx, dgamma, dbeta)
"""


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = _finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _variance(text: str) -> float:
    value = _finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"a variance cannot be negative, got {text}")
    return value


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {text}")
        return value

    return parse


_positive_int = _int_at_least(1)


def _target(text: str) -> str:
    if text in TARGETS or ":" in text:
        return text
    raise argparse.ArgumentTypeError(
        f"invalid choice: {text!r} (choose from {', '.join(TARGETS)}, or FILE.py:NAME for your own Derivation)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `check`."""
    parser.add_argument(
        "target", type=_target, metavar="TARGET", help=f"what to check: {', '.join(TARGETS)} or FILE.py:NAME"
    )
    parser.add_argument(
        "--mode",
        choices=("train", "eval"),
        default=None,
        help="batchnorm: training mode (batch statistics) or eval (moving statistics); default train",
    )
    parser.add_argument(
        "--eps",
        type=_positive_float,
        default=None,
        metavar="E",
        help="batchnorm: the epsilon in sqrt(var + eps); default 1e-5",
    )
    parser.add_argument(
        "--seed", type=_int_at_least(0), default=0, help="seed of the random inputs and upstream gradients (default 0)"
    )
    parser.add_argument(
        "--batch", type=_positive_int, default=4, metavar="N", help="rows of the random input x (default 4)"
    )
    parser.add_argument("--features", type=_positive_int, default=3, metavar="D", help="columns of x (default 3)")
    parser.add_argument(
        "--moving-mean", type=_finite_float, default=0.0, metavar="M", help="eval mode: the moving mean (default 0)"
    )
    parser.add_argument(
        "--moving-variance",
        type=_variance,
        default=1.0,
        metavar="V",
        help="eval mode: the moving variance (default 1)",
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="STAGE=MODULE:FUNC",
        help="your local backward for one stage (repeatable)",
    )
    parser.add_argument("--student", metavar="MODULE:FUNC", help="your whole backward, FUNC(dout, cache)")
    parser.add_argument("--wide", action="store_true", help=f"print the full tables (default: fit {WIDTH} columns)")


def run(args: argparse.Namespace) -> int:
    """Run the check; print the report; 0 if it passes, 1 if not, 2 if the arguments are unusable."""
    try:
        overrides = dict(_parse_override(spec) for spec in args.override)
        student = load_function(args.student) if args.student else None
        own = _own_derivation(args.target, args.seed) if args.target not in TARGETS else None
    except UsageError as error:
        print(f"minigrad check: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # anything from importing the user's file: a usage problem, said plainly
        print(f"minigrad check: cannot use your code: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    if args.target != "batchnorm" and (args.mode is not None or args.eps is not None):
        print(
            f"minigrad check: note: --mode and --eps apply to batchnorm only; ignored for {args.target}",
            file=sys.stderr,
        )

    rng = np.random.default_rng(args.seed)
    n, d = args.batch, args.features
    try:
        if args.target == "batchnorm":
            x = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d) + rng.uniform(-1.0, 1.0, d)
            gamma, beta = rng.uniform(0.5, 1.5, d) * rng.choice([-1.0, 1.0], d), rng.standard_normal(d)
            report: Any = batchnorm.check_stages(
                x,
                gamma,
                beta,
                eps=1e-5 if args.eps is None else args.eps,
                mode=args.mode or "train",
                moving_mean=args.moving_mean,
                moving_variance=args.moving_variance,
                overrides=overrides or None,
                backward=student,
                seed=args.seed,
            )
        elif own is not None:
            derivation, values = own
            report = derivation.check(values, overrides=overrides or None, backward=student, seed=args.seed)
        elif args.target == "dense-relu-mse":
            k = 2
            x, W = rng.standard_normal((n, d)), rng.standard_normal((d, k)) / np.sqrt(d)
            b, y = rng.standard_normal(k) * 0.1, rng.standard_normal((n, k))
            report = dense_relu_mse.check_stages(
                x, W, b, y, overrides=overrides or None, backward=student, seed=args.seed
            )
        else:
            if overrides or student:
                print("minigrad check: --override and --student do not apply to seed004", file=sys.stderr)
                return 2
            report = seed004.explain()
    except KeyError as error:  # e.g. an override for a stage that does not exist
        print(f"minigrad check: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    if not args.wide and isinstance(report, DerivationReport):
        # every check runs in float64; at 100 columns the headline leaves that word out
        report.title = report.title.replace(", float64", "")
    print(report.text(None if args.wide else WIDTH))
    return 0 if report else 1


class UsageError(Exception):
    """A target or option that cannot be used (exit 2, one line)."""


def _own_derivation(spec: str, seed: int) -> tuple[Derivation, dict[str, Any]]:
    """`FILE.py:NAME` -> (the Derivation, the values to check it at)."""
    module_name, _, name = spec.rpartition(":")
    if not module_name or not name:
        raise UsageError(f"expected FILE.py:NAME (e.g. my_layer.py:DERIVATION), got {spec!r}")
    try:
        obj = load_attribute(spec, kind="Derivation")
    except (ValueError, AttributeError) as error:
        raise UsageError(str(error)) from None
    values = None
    if not isinstance(obj, Derivation) and callable(obj) and not isinstance(obj, type):
        obj = obj()
        if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], Derivation):
            obj, values = obj
    if not isinstance(obj, Derivation):
        raise UsageError(
            f"{spec} is a {type(obj).__name__}, not a Derivation (nor a function returning one): "
            "make NAME a minigrad.derivations.Derivation"
        )
    values = obj.example_values(seed) if values is None else dict(values)
    if values is None:
        raise UsageError(
            f"{spec} has no values to check it at: build it with Derivation(..., example={{...}}) "
            "(or example=lambda rng: {...}), or make NAME a function returning (derivation, values)"
        )
    return obj, values


def _parse_override(spec: str) -> tuple[str, Callable[..., Any]]:
    stage, sep, target = spec.partition("=")
    if not sep or not stage or not target:
        raise ValueError(f"--override expects STAGE=MODULE:FUNC, got {spec!r}")
    return stage.strip(), load_function(target)


def load_function(spec: str) -> Callable[..., Any]:
    """`MODULE:FUNC` -> the function; MODULE is importable (`my_pkg.bn`) or a file (`my_bn.py`)."""
    fn = load_attribute(spec)
    if not callable(fn):
        module_name, _, func_name = spec.rpartition(":")
        raise AttributeError(f"{module_name}: {func_name!r} is a {type(fn).__name__}, not a function")
    return fn


def load_attribute(spec: str, kind: str = "function") -> Any:
    """`MODULE:NAME` -> that object; MODULE is importable (`my_pkg.bn`) or a file (`my_bn.py`)."""
    module_name, sep, func_name = spec.rpartition(":")
    if not sep or not module_name or not func_name:
        raise ValueError(f"expected MODULE:FUNC (e.g. my_bn.py:backward), got {spec!r}")
    if module_name.endswith(".py") or "/" in module_name or "\\" in module_name:
        path = Path(module_name)
        if not path.is_file():
            raise ValueError(f"no such file: {module_name}")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {module_name} as a Python module")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    if not hasattr(module, func_name):
        defined = sorted(n for n in vars(module) if not n.startswith("_"))
        listed = ", ".join(defined[:12]) + (", ..." if len(defined) > 12 else "")
        raise AttributeError(f"{module_name} has no {kind} {func_name!r} (it defines: {listed or 'nothing'})")
    return getattr(module, func_name)
