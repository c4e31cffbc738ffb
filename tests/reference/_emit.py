"""Shared writer for the ``generate_*.py`` reference-value scripts (not a test module).

It renders NumPy arrays, numbers and strings as plain Python literals with full precision
(float64: ``repr(float(v))``; float32: the shortest decimal that round-trips to the same
float32, falling back to the exact float64 repr of the float32 value), writes the module,
then imports the written file and checks that every constant reads back bit for bit.
"""

import importlib.util
import sys

import numpy as np

_DTYPE_NAMES = {np.dtype(np.float32): "np.float32", np.dtype(np.float64): "np.float64", np.dtype(np.int64): "np.int64"}


def _fmt_scalar(v, dtype):
    if dtype == np.float64:
        v = float(v)
        if not np.isfinite(v):
            raise ValueError(f"non-finite value {v!r}")
        return repr(v)
    if dtype == np.float32:
        f = np.float32(v)
        if not np.isfinite(f):
            raise ValueError(f"non-finite value {f!r}")
        s = str(f)
        if np.float32(float(s)) != f or np.signbit(np.float32(float(s))) != np.signbit(f):
            s = repr(float(f))
        return s
    if dtype == np.int64:
        return repr(int(v))
    raise TypeError(f"unsupported dtype {dtype}")


def _fmt_nested(a, indent):
    if a.ndim == 0:
        return _fmt_scalar(a, a.dtype)
    if a.ndim == 1:
        return "[" + ", ".join(_fmt_scalar(v, a.dtype) for v in a) + "]"
    sep = ",\n" + " " * (indent + 1)
    return "[" + sep.join(_fmt_nested(sub, indent + 1) for sub in a) + "]"


def array_literal(a, indent):
    a = np.asarray(a)
    name = _DTYPE_NAMES[a.dtype]
    head = "np.array("
    body = _fmt_nested(a, indent + len(head))
    return f"{head}{body}, dtype={name})"


class ModuleWriter:
    def __init__(self, path, docstring):
        self.path = path
        self.lines = ['"""' + docstring.strip("\n") + '\n"""', "", "import numpy as np", ""]
        self.values = {}

    def section(self, title):
        self.lines += ["", "# " + "=" * 78, "# " + title, "# " + "=" * 78]

    def add(self, name, value, comment):
        if name in self.values:
            raise KeyError(f"duplicate constant {name}")
        if not name.isupper():
            raise ValueError(f"constant names are upper case: {name}")
        self.lines.append(f"# {comment}")
        if isinstance(value, np.ndarray):
            if value.dtype not in _DTYPE_NAMES:
                raise TypeError(f"{name}: unsupported dtype {value.dtype}")
            prefix = f"{name} = "
            self.lines.append(prefix + array_literal(value, len(prefix)))
            self.values[name] = value.copy()
        elif isinstance(value, (bool, int, float, str)) or value is None:
            if isinstance(value, float) and not np.isfinite(value):
                raise ValueError(f"{name}: non-finite")
            self.lines.append(f"{name} = {value!r}")
            self.values[name] = value
        else:
            raise TypeError(f"{name}: unsupported type {type(value)}")

    def write(self):
        text = "\n".join(self.lines) + "\n"
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.write(text)
        self.verify()
        print(f"wrote {self.path}: {len(self.values)} constants, verified")

    def verify(self):
        spec = importlib.util.spec_from_file_location("_written_reference", self.path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for name, expected in self.values.items():
            got = getattr(mod, name)
            if isinstance(expected, np.ndarray):
                ok = (
                    isinstance(got, np.ndarray)
                    and got.dtype == expected.dtype
                    and got.shape == expected.shape
                    and np.array_equal(got, expected)
                    and np.array_equal(np.signbit(got), np.signbit(expected))
                )
            else:
                ok = type(got) is type(expected) and got == expected
            if not ok:
                raise AssertionError(f"{name} does not read back exactly from {self.path}")


def header(framework_lines, script):
    """Docstring text shared by the generated modules."""
    return (
        "\n".join(framework_lines)
        + f"\nPython {sys.version.split()[0]}, NumPy {np.__version__}.\n\n"
        + "Generated file -- do not edit by hand. Re-create it from the repository root with\n\n"
        + f"    {script}\n"
    )
