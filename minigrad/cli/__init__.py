"""The command line, `python -m minigrad COMMAND` (also the `minigrad` console script).

- `main`: the parser and dispatch; returns the exit code, so tests and notebooks call it in-process;
- `check`: a derivation's stage-by-stage check (BatchNorm, Dense-ReLU-MSE, seed 004, your own);
- `lessons`: execute the lesson notebooks headless and write an HTML copy of each;
- `exercises`: write the student version of the exercise notebooks, and grade them.
"""
