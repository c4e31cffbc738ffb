"""Numbers recorded from the real frameworks (PyTorch, TensorFlow/Keras, TF1, CS231n's NumPy code).

Package data, so the lessons and tests use them from any install without those frameworks:
``from minigrad.reference import torch_values``. Each ``*_values.py`` says in its docstring which
script under ``tests/reference/`` wrote it and with which versions; never edit them by hand.
"""
