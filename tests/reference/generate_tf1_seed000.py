"""Generate ``tf1_seed000_values.py``: seed 000's TF1 network, re-run in graph mode.

Run from the repository root with the TensorFlow venv (NOT the system Python):

    /work/tfvenv/bin/python tests/reference/generate_tf1_seed000.py

Not a test module. Seed 000 builds, in TF1 graph mode: x (N, 1) -> tf.layers.dense(1, no bias)
-> tf.layers.batch_normalization(momentum=0.5, training=<placeholder>) -> relu ->
tf.layers.dense(1, no bias) -> tf.layers.batch_normalization(momentum=0.5) -> MSE against y,
tf.train.AdamOptimizer(lr=0.001), and ONE ``sess.run([optimizer, extra_update_ops])`` with
training=True on x=[[0],[1]], y=[[3],[4]]. It then prints the hidden kernel, the hidden layer in
inference mode and the first BN layer's moving mean/variance, gamma and beta.

With TensorFlow 2.x + Keras 3, ``tf.compat.v1.layers.dense`` and
``tf.compat.v1.layers.batch_normalization`` raise "not available with Keras 3", so the two layers
are rebuilt from the same raw ``tf.compat.v1`` ops that TF1's tf.layers used for a 2-D input:
dense = ``tf.matmul(x, kernel)``; batch_normalization (non-fused path) =
``tf.nn.moments(h, [0])`` (biased variance), ``tf.cond(training, batch stats, moving stats)``,
``tf.nn.batch_normalization(h, mean, var, beta, gamma, 1e-3)`` and, in UPDATE_OPS, the moving
averages ``moving.assign_sub((moving - batch_stat) * (1 - momentum))`` under the same cond;
variables gamma=1, beta=0, moving_mean=0, moving_variance=1 (the last two not trainable). The
optimiser is the real ``tf.compat.v1.train.AdamOptimizer``. ``tf.compat.v1.disable_v2_behavior()``
gives TF1 semantics (graph mode, reference variables, v1 control flow).

The kernels are initialised to CONSTANTS instead of Glorot: w1 = 4 * float32(0.3514931) (the
seed's moving mean after one step is 0.5 * mean([0, w1]) = w1 / 4, which recovers its initial
hidden weight exactly), and several output kernels w2 are tried; the generated module records,
for each, every printed value and which w2 reproduce the seed's printout to the printed digit.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _emit import ModuleWriter, header

# the recorded numbers are package data: lessons and tests import them as minigrad.reference
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(_ROOT, "minigrad", "reference", "tf1_seed000_values.py")

W1 = np.float32(4) * np.float32(0.3514931)
W2_CANDIDATES = [1.0, -1.0, 0.5, -0.3, -0.285, 0.06, 0.13, 2.0, -2.0, 0.1, -0.1]
# fine scan of w2 over Glorot-uniform's range for a 1->1 kernel, +-sqrt(6/2) ~ +-1.732
W2_SCAN_START, W2_SCAN_STOP, W2_SCAN_STEP = -1.75, 1.75, 0.0005
BATCH_X = np.array([[0.0], [1.0]])  # float64 in the seed (np.zeros), fed to float32 placeholders
BATCH_Y = np.array([[3.0], [4.0]])

# The seed's printout (numpy's default float32 formatting: up to 8 decimals, shortest unique).
SEED_PRINTED = {
    "W1_AFTER": "[[1.404974]]",
    "HIDDEN_1": "[[0.      ]\n [1.404974]]",
    "BN_1": "[[-0.40697935]\n [ 1.215785  ]]",
    "BN_1X": "[[0.      ]\n [1.215785]]",
    "BN1_MOVING_MEAN": "[0.3514931]",
    "BN1_MOVING_VAR": "[0.74709475]",
    "BN1_GAMMA": "[0.999]",
    "BN1_BETA": "[-0.001]",
}


def batch_normalization(h, training, momentum, epsilon=1e-3, name="batch_normalization"):
    """TF1 tf.layers.batch_normalization for a 2-D input (non-fused path), from raw ops."""
    n = h.shape[-1]
    with tf.compat.v1.variable_scope(name):
        gamma = tf.compat.v1.get_variable("gamma", [n], tf.float32, tf.compat.v1.ones_initializer())
        beta = tf.compat.v1.get_variable("beta", [n], tf.float32, tf.compat.v1.zeros_initializer())
        moving_mean = tf.compat.v1.get_variable(
            "moving_mean", [n], tf.float32, tf.compat.v1.zeros_initializer(), trainable=False
        )
        moving_variance = tf.compat.v1.get_variable(
            "moving_variance", [n], tf.float32, tf.compat.v1.ones_initializer(), trainable=False
        )
        batch_mean, batch_var = tf.compat.v1.nn.moments(h, [0])
        mean = tf.compat.v1.cond(training, lambda: batch_mean, lambda: tf.identity(moving_mean))
        variance = tf.compat.v1.cond(training, lambda: batch_var, lambda: tf.identity(moving_variance))

        def assign_moving_average(variable, value):
            with tf.compat.v1.name_scope("AssignMovingAvg"):
                decay = tf.constant(1.0 - momentum, dtype=tf.float32, name="decay")
                update_delta = (variable - value) * decay
                return tf.compat.v1.assign_sub(variable, update_delta)

        mean_update = tf.compat.v1.cond(
            training, lambda: assign_moving_average(moving_mean, mean), lambda: tf.identity(moving_mean)
        )
        var_update = tf.compat.v1.cond(
            training, lambda: assign_moving_average(moving_variance, variance), lambda: tf.identity(moving_variance)
        )
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, mean_update)
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, var_update)
        out = tf.compat.v1.nn.batch_normalization(h, mean, variance, beta, gamma, epsilon)
    return out, dict(gamma=gamma, beta=beta, moving_mean=moving_mean, moving_variance=moving_variance)


class SeedGraph:
    """Seed 000's graph with constant kernel initialisers; ``run(w2)`` re-initialises and trains."""

    def __init__(self):
        self.graph = tf.Graph()
        with self.graph.as_default():
            x = tf.compat.v1.placeholder(tf.float32, (None, 1))
            y = tf.compat.v1.placeholder(tf.float32, (None, 1))
            lx = tf.compat.v1.placeholder(tf.float32, [])
            training = tf.compat.v1.placeholder_with_default(False, shape=(), name="training")
            self.w2_init = tf.compat.v1.placeholder(tf.float32, [])
            with tf.compat.v1.variable_scope("hidden1"):
                with tf.compat.v1.variable_scope("dense"):
                    k1 = tf.compat.v1.get_variable(
                        "kernel", [1, 1], tf.float32, tf.compat.v1.constant_initializer(float(W1))
                    )
                hidden_1 = tf.matmul(x, k1)
                bn_1, v1 = batch_normalization(hidden_1, training, momentum=0.5)
                bn_1x = tf.nn.relu(bn_1)
            with tf.compat.v1.variable_scope("output"):
                with tf.compat.v1.variable_scope("dense"):
                    # constant initial value, fed per run (initial_value may be a tensor)
                    k2 = tf.compat.v1.get_variable("kernel", initializer=tf.reshape(self.w2_init, [1, 1]))
                predx = tf.matmul(bn_1x, k2)
                pred, v2 = batch_normalization(predx, training, momentum=0.5)
            cost = tf.reduce_mean(tf.square(pred - y))
            optimizer = tf.compat.v1.train.AdamOptimizer(learning_rate=lx).minimize(cost)
            self.init = tf.compat.v1.global_variables_initializer()
            extra_update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
            assert not hasattr(k1, "handle"), "expected TF1 reference variables"
        self.sess = tf.compat.v1.Session(graph=self.graph)
        self.t = dict(
            x=x,
            y=y,
            lx=lx,
            training=training,
            k1=k1,
            k2=k2,
            hidden_1=hidden_1,
            bn_1=bn_1,
            bn_1x=bn_1x,
            predx=predx,
            pred=pred,
            cost=cost,
            optimizer=optimizer,
            extra_update_ops=extra_update_ops,
            v1=v1,
            v2=v2,
        )

    def run(self, w2):
        t, sess = self.t, self.sess
        sess.run(self.init, feed_dict={self.w2_init: w2})
        w1_before, w2_before = sess.run([t["k1"], t["k2"]])
        # the seed's training step; also fetch what the forward pass saw in the same run
        _, _, h_seen, px_seen, cost_before = sess.run(
            [t["optimizer"], t["extra_update_ops"], t["hidden_1"], t["predx"], t["cost"]],
            feed_dict={t["training"]: True, t["x"]: BATCH_X, t["y"]: BATCH_Y, t["lx"]: 0.001},
        )
        r = {}
        r["W1_BEFORE"], r["W2_BEFORE"] = w1_before, w2_before
        r["HIDDEN_1_SEEN_IN_STEP"], r["PREDX_SEEN_IN_STEP"] = h_seen, px_seen
        r["COST_BEFORE"] = np.float32(cost_before)
        r["W1_AFTER"] = sess.run(t["k1"])
        r["HIDDEN_1"], r["BN_1"], r["BN_1X"] = sess.run(
            [t["hidden_1"], t["bn_1"], t["bn_1x"]], feed_dict={t["training"]: False, t["x"]: BATCH_X}
        )
        for tag, v in (("BN1", t["v1"]), ("BN2", t["v2"])):
            r[f"{tag}_MOVING_MEAN"] = sess.run(v["moving_mean"])
            r[f"{tag}_MOVING_VAR"] = sess.run(v["moving_variance"])
            r[f"{tag}_GAMMA"] = sess.run(v["gamma"])
            r[f"{tag}_BETA"] = sess.run(v["beta"])
        r["W2_AFTER"] = sess.run(t["k2"])
        r["PRED_INFERENCE"] = sess.run(t["pred"], feed_dict={t["training"]: False, t["x"]: BATCH_X})
        r["COST_AFTER_TRAINING_MODE"] = np.float32(
            sess.run(t["cost"], feed_dict={t["training"]: True, t["x"]: BATCH_X, t["y"]: BATCH_Y})
        )
        # the training=True cost evaluation above ran no update op (updates are only in UPDATE_OPS)
        assert np.array_equal(sess.run(t["v1"]["moving_mean"]), r["BN1_MOVING_MEAN"])
        return r


def printout_matches(r):
    return {k: np.array2string(r[k]) == s for k, s in SEED_PRINTED.items()}


def main():
    tf.compat.v1.disable_v2_behavior()
    doc = header(
        [
            "Seed 000 (TF1 tf.layers network, one Adam step with the BN update ops) reproduced.",
            "",
            f"Produced with TensorFlow {tf.__version__} (tensorflow-cpu) in TF1 graph mode:",
            "tf.compat.v1.disable_v2_behavior(), tf.compat.v1.Session, tf.compat.v1.train.AdamOptimizer.",
            "tf.compat.v1.layers.{dense,batch_normalization} are NOT available with Keras 3, so both",
            "layers are rebuilt from raw tf.compat.v1 ops exactly as TF1's tf.layers did for 2-D input",
            "(matmul; tf.nn.moments + tf.cond + tf.nn.batch_normalization(eps=1e-3); UPDATE_OPS",
            "moving.assign_sub((moving - batch_stat) * (1 - momentum)), momentum 0.5). float32.",
            "Kernels are constants (w1 = 4*0.3514931, several w2) instead of Glorot; see the generator.",
        ],
        "/work/tfvenv/bin/python tests/reference/generate_tf1_seed000.py   # the TensorFlow venv",
    )
    w = ModuleWriter(OUT, doc)
    w.add("TF_VERSION", str(tf.__version__), "tf.__version__")
    w.add("BATCH_X", BATCH_X.astype(np.float32), "x fed to the float32 placeholder")
    w.add("BATCH_Y", BATCH_Y.astype(np.float32), "y fed to the float32 placeholder")
    w.add(
        "LEARNING_RATE", 0.001, "Adam learning rate (fed through the lx placeholder); beta1 0.9, beta2 0.999, eps 1e-8"
    )
    w.add("BN_MOMENTUM", 0.5, "momentum of both batch_normalization layers (fraction kept)")
    w.add("BN_EPSILON", 0.001, "epsilon of both batch_normalization layers (tf.layers default)")
    w.add("W1_INIT", np.array([[W1]], dtype=np.float32), "hidden kernel initial value: 4 * float32(0.3514931)")
    w.add("W2_CANDIDATES", np.array(W2_CANDIDATES, dtype=np.float32), "output kernel initial values tried")
    for k, s in SEED_PRINTED.items():
        w.add(f"SEED_PRINTED_{k}", s, f"seed 000's printout of {k.lower()} (numpy default float32 formatting)")

    w.section("Per-w2 results (suffix _W2_<P|M><value with '_' for '.'>, e.g. _W2_M0_285 is w2=-0.285); float32")
    seed_graph = SeedGraph()
    pre_update = []
    reproducing = []
    comments = {
        "W1_BEFORE": "hidden kernel before the step",
        "W2_BEFORE": "output kernel before the step",
        "HIDDEN_1_SEEN_IN_STEP": "hidden_1 fetched in the training run itself (x @ PRE-update w1)",
        "PREDX_SEEN_IN_STEP": "output dense (before BN) fetched in the training run",
        "COST_BEFORE": "MSE cost in the training run (training=True batch stats, pre-update weights)",
        "W1_AFTER": "printed 'weight of hidden layer': hidden kernel AFTER the Adam step",
        "HIDDEN_1": "printed hidden_1: x @ updated w1 (training=False)",
        "BN_1": "printed bn_1: first BN in inference mode (updated moving stats, gamma, beta)",
        "BN_1X": "printed bn_1x: relu(bn_1)",
        "BN1_MOVING_MEAN": "printed moving mean of hidden1's BN (fed the PRE-update batch mean)",
        "BN1_MOVING_VAR": "printed moving variance of hidden1's BN (biased batch variance)",
        "BN1_GAMMA": "printed gamma of hidden1's BN after the step",
        "BN1_BETA": "printed beta of hidden1's BN after the step",
        "BN2_MOVING_MEAN": "output BN moving mean after the step",
        "BN2_MOVING_VAR": "output BN moving variance after the step",
        "BN2_GAMMA": "output BN gamma after the step",
        "BN2_BETA": "output BN beta after the step",
        "W2_AFTER": "output kernel after the step",
        "PRED_INFERENCE": "network output after the step, training=False",
        "COST_AFTER_TRAINING_MODE": "cost after the step, evaluated with training=True (no update ops run)",
    }
    for w2 in W2_CANDIDATES:
        sfx = ("M" if w2 < 0 else "P") + repr(abs(w2)).replace(".", "_")
        r = seed_graph.run(w2)
        match = printout_matches(r)
        ok = all(match.values())
        if ok:
            reproducing.append(w2)
        w.lines.append("")
        w.lines.append(f"# ---- w2 = {w2!r}: reproduces the seed's printout: {ok}")
        w.add(f"REPRODUCES_SEED_W2_{sfx}", ok, "all eight printed items equal the seed's printout")
        w.add(
            f"MISMATCHED_ITEMS_W2_{sfx}",
            ", ".join(k for k, m in match.items() if not m),
            "printed items that differ from the seed ('' = none)",
        )
        # which weights did the moving-average update see?  moving_mean = 0.5 * mean(hidden)
        mm = r["BN1_MOVING_MEAN"]
        saw_pre = np.array_equal(mm, np.float32(0.5) * r["HIDDEN_1_SEEN_IN_STEP"].mean(axis=0))
        saw_post = np.array_equal(mm, np.float32(0.5) * r["HIDDEN_1"].mean(axis=0))
        assert np.array_equal(r["HIDDEN_1_SEEN_IN_STEP"], (BATCH_X * r["W1_BEFORE"]).astype(np.float32))
        assert saw_pre and not saw_post
        pre_update.append(saw_pre)
        for k, c in comments.items():
            v = np.asarray(r[k])
            if v.dtype != np.float32:
                raise TypeError(k)
            w.add(f"{k}_W2_{sfx}", v, c)

    w.section("Summary")
    w.add(
        "W2_REPRODUCING",
        np.array(reproducing, dtype=np.float32),
        "w2 candidates above whose run prints exactly the seed's values (all eight printed items)",
    )
    n_grid = round((W2_SCAN_STOP - W2_SCAN_START) / W2_SCAN_STEP) + 1
    grid = np.round(W2_SCAN_START + np.arange(n_grid) * W2_SCAN_STEP, 10)
    hits = np.array([all(printout_matches(seed_graph.run(float(v))).values()) for v in grid])
    intervals = []
    for i in np.flatnonzero(hits):
        if intervals and intervals[-1][1] == i - 1:
            intervals[-1][1] = i
        else:
            intervals.append([i, i])
    w.add(
        "W2_SCAN",
        np.array([W2_SCAN_START, W2_SCAN_STOP, W2_SCAN_STEP], dtype=np.float64),
        "scan of w2: start, stop, step (grid = start + k*step, each value cast to float32)",
    )
    w.add(
        "W2_SCAN_REPRODUCING_INTERVALS",
        np.array([[grid[a], grid[b]] for a, b in intervals], dtype=np.float64).reshape(-1, 2),
        "rows [first, last] of runs of consecutive grid points that reproduce the whole printout",
    )
    w.add(
        "MOVING_AVERAGE_SAW_PRE_UPDATE_WEIGHTS",
        all(pre_update),
        "True: in the single sess.run the BN update read hidden_1 computed from the PRE-update w1",
    )
    seed_graph.sess.close()
    w.write()
    print(
        "w2 reproducing the seed:", w.values["W2_REPRODUCING"], "intervals:", w.values["W2_SCAN_REPRODUCING_INTERVALS"]
    )


if __name__ == "__main__":
    main()
