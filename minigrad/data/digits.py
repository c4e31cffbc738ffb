"""The 8x8 handwritten digits, shipped in the package (no scikit-learn, no download)."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

#: SHA-256 of the shipped file, byte for byte scikit-learn 1.9.1's sklearn/datasets/data/digits.csv.gz.
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits: `x` float64 of shape (1797, 64) (pixel counts 0-16, row by
    row, divided by 16), `y` int64 labels 0-9, in the order scikit-learn ships them.

    Source: the test set of the UCI Machine Learning Repository's "Optical Recognition of
    Handwritten Digits" (E. Alpaydin, C. Kaynak, 1998; https://doi.org/10.24432/C50P49), licensed
    under Creative Commons Attribution 4.0 (CC BY 4.0), as scikit-learn ships it in
    sklearn/datasets/data/digits.csv.gz (the file here is that file, unchanged: 64 pixel columns
    and the label per line). Parsed as text: nothing is unpickled.
    """
    raw = resources.files(__package__).joinpath("digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",", dtype=np.int64)
    return table[:, :64] / 16.0, table[:, 64].copy()
