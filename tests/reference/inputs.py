"""Fixed inputs shared by the ``generate_*.py`` reference-value scripts (not a test module).

Every literal here is used by more than one generator, so every framework (PyTorch, Keras /
TensorFlow, the CS231n NumPy code) sees identical numbers and their ``*_values.py`` modules
can be compared entry by entry. Inputs used by a single generator stay in that generator.

The data arrays (X1, X1_EVAL, XC1..XC3, XG, DOUTG) were drawn once from
``np.random.default_rng(20240601)`` and rounded to 4 decimals; gamma/beta/running statistics and
the Adam numbers are hand-picked. All are plain Python lists, so each generator picks its own
dtype (float32 / float64).
Used by: X1..BETA1 and XG..DOUTG -- torch, keras, cs231n; XC1..XC3 -- torch, cs231n;
RUNNING_MEANG, RUNNING_VARG, ADAM_P0, ADAM_GRADS -- torch, keras.
"""

# Scenario 1: BatchNorm1d(3) / BatchNormalization() on a (4, 3) batch, then a (5, 3) eval batch
X1 = [[1.1479, 0.408, 1.6785], [-0.6783, -1.4341, 2.6017], [1.8336, 1.7249, 2.1733], [2.1, 2.6985, 1.8898]]
X1_EVAL = [
    [-0.562, -2.0937, 1.79],
    [1.1875, -6.6973, 1.9043],
    [2.1712, -3.7609, 1.6208],
    [0.4157, -5.2535, 1.9352],
    [0.4843, -1.014, 1.5057],
]
GAMMA1 = [1.5, -0.5, 2.0]
BETA1 = [0.1, -0.2, 0.3]
# three batches of different sizes (4, 3, 5) for successive running-average updates
XC1 = [[0.6342, 1.3076, -1.7146], [1.5472, 1.311, -2.427], [0.3547, 1.3106, -0.5065], [1.1794, -0.6972, -0.8914]]
XC2 = [[2.8748, -0.4429, -0.4204], [0.5833, -0.3967, -0.352], [0.071, -0.4848, -1.6103]]
XC3 = [
    [0.1413, 0.3515, 0.2398],
    [1.2214, -0.7635, -2.4511],
    [1.819, 0.4209, -1.6313],
    [1.8614, 3.1485, -2.6317],
    [1.5903, 1.6917, -0.4195],
]

# Scenario 3: gradients. Column 2 has a tiny spread (variance ~2e-4), so eps=1e-3 vs 1e-7 matters.
XG = [[1.1743, -0.6578, 0.9957], [0.9352, -1.7204, 0.9738], [-0.1697, -3.9798, 1.0102], [0.3052, 0.6709, 1.0117]]
GAMMAG = [1.3, -0.7, 0.9]
BETAG = [0.05, 0.4, -0.3]
DOUTG = [[-0.0331, -0.0173, 0.4473], [2.3887, -0.2086, -0.4167], [0.1282, 0.7555, -0.2219], [-0.2799, 0.8337, 2.0486]]
# running (moving) statistics set before the eval-mode / training=False case
RUNNING_MEANG = [0.3, -1.2, 0.99]
RUNNING_VARG = [0.6, 2.5, 0.0004]

# Scenario 5: Adam. Gradients: column 0 ~1e-4 (paper vs TF form differ in the 4th significant
# digit of the parameter change), column 1 ~1e-6 (differ in the 1st-2nd digit), column 2 ~1e-8
# (comparable to eps: differ completely). Mixed signs.
ADAM_P0 = [0.5, -0.3, 0.1]
ADAM_GRADS = [
    [3.0e-4, 1.0e-6, -2.0e-8],
    [-1.0e-4, 2.5e-6, 1.0e-8],
    [2.0e-4, -5.0e-7, 3.0e-8],
    [2.5e-4, 1.5e-6, -1.0e-8],
    [-5.0e-5, 3.0e-6, 5.0e-8],
    [1.5e-4, -2.0e-6, 2.0e-8],
]
