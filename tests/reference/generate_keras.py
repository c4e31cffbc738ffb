"""Generate ``keras_values.py``: TensorFlow / Keras 3 reference numbers for minigrad's tests.

Run from the repository root with the TensorFlow venv (tensorflow-cpu + Keras 3; NOT the
system Python):

    /work/tfvenv/bin/python tests/reference/generate_keras.py

Not a test module. Inputs are fixed literals; the ones shared with generate_torch.py (X1,
X1_EVAL, GAMMA1, BETA1, XG, GAMMAG, BETAG, DOUTG, RUNNING_MEANG, RUNNING_VARG, ADAM_P0,
ADAM_GRADS) are imported from ``inputs.py``, so keras_values and torch_values can be compared
directly; the Keras-only ones are below.
"""

import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _emit import ModuleWriter, header
from inputs import (
    ADAM_GRADS,
    ADAM_P0,
    BETA1,
    BETAG,
    DOUTG,
    GAMMA1,
    GAMMAG,
    RUNNING_MEANG,
    RUNNING_VARG,
    X1,
    X1_EVAL,
    XG,
)

# the recorded numbers are package data: lessons and tests import them as minigrad.reference
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(_ROOT, "minigrad", "reference", "keras_values.py")

# ---------------------------------------------------------------- fixed inputs (literals)
# Keras-only inputs (np.random.default_rng(20240601), rounded to 4 decimals)
X_NHWC = [
    [
        [[1.4577, 1.145], [0.0368, 2.6802], [-0.9188, 2.1198]],
        [[0.8429, 1.4594], [-1.2536, 1.606], [1.4429, 1.9322]],
        [[0.3493, 1.6759], [0.07, 1.0118], [-0.3378, 2.1717]],
    ],
    [
        [[-1.4937, 1.9989], [-0.0552, 2.4112], [-2.504, 1.9296]],
        [[0.4283, 1.9467], [0.4332, 1.3837], [1.9308, 2.5097]],
        [[0.4724, 2.6145], [-0.2604, 2.5131], [-0.959, 2.8005]],
    ],
]
GAMMA_NHWC = [0.8, 1.7]
BETA_NHWC = [-0.4, 0.25]
FROZEN_MOVING_MEAN = [0.5, -0.25, 2.0]
FROZEN_MOVING_VAR = [0.8, 3.0, 0.2]
X_ONE = [[1.0058, -0.89, -0.8661]]


def f32(a):
    return np.array(a, dtype=np.float32)


def f64(a):
    return np.array(a, dtype=np.float64)


def bn_layer(n, gamma=None, beta=None, mean=None, var=None, **kw):
    layer = keras.layers.BatchNormalization(**kw)
    layer.build((None, n))
    if gamma is not None:
        layer.gamma.assign(gamma)
    if beta is not None:
        layer.beta.assign(beta)
    if mean is not None:
        layer.moving_mean.assign(mean)
    if var is not None:
        layer.moving_variance.assign(var)
    return layer


def scenario_6_to_9(w):
    w.section("Scenario 6: BatchNormalization() defaults (momentum 0.99, eps 1e-3), float32, x (4, 3)")
    layer = bn_layer(3, f32(GAMMA1), f32(BETA1))
    w.add("BN_X", f32(X1), "training input, shape (4, 3) (torch_values.BN1D_X as float32)")
    w.add("BN_X_EVAL", f32(X1_EVAL), "inference input, shape (5, 3)")
    w.add("BN_GAMMA", f32(GAMMA1), "gamma set before the call")
    w.add("BN_BETA", f32(BETA1), "beta set before the call")
    w.add("BN_MOMENTUM", float(layer.momentum), "Keras default momentum (fraction kept)")
    w.add("BN_EPS", float(layer.epsilon), "Keras default epsilon")
    y = layer(f32(X1), training=True)
    w.add("BN_TRAIN_OUT", np.asarray(y), "layer(x, training=True): batch stats, biased variance")
    w.add("BN_MOVING_MEAN", layer.moving_mean.numpy(), "moving_mean after that call (from zeros)")
    w.add(
        "BN_MOVING_VAR", layer.moving_variance.numpy(), "moving_variance after that call (from ones; BIASED batch var)"
    )
    y = layer(f32(X1_EVAL), training=False)
    w.add("BN_EVAL_OUT", np.asarray(y), "then layer(BN_X_EVAL, training=False): uses the moving stats above")

    w.section("Scenario 7: NHWC input (2, 3, 3, 2), axis=-1, momentum=0.5, eps 1e-3, float32")
    layer = keras.layers.BatchNormalization(axis=-1, momentum=0.5)
    layer.build((None, 3, 3, 2))
    layer.gamma.assign(f32(GAMMA_NHWC))
    layer.beta.assign(f32(BETA_NHWC))
    w.add("NHWC_X", f32(X_NHWC), "input, shape (2, 3, 3, 2) = (N, H, W, C)")
    w.add("NHWC_GAMMA", f32(GAMMA_NHWC), "gamma per channel")
    w.add("NHWC_BETA", f32(BETA_NHWC), "beta per channel")
    y = layer(f32(X_NHWC), training=True)
    w.add("NHWC_TRAIN_OUT", np.asarray(y), "layer(x, training=True) (stats over N, H, W per channel)")
    w.add("NHWC_MOVING_MEAN", layer.moving_mean.numpy(), "moving_mean after: 0.5*0 + 0.5*batch mean")
    w.add("NHWC_MOVING_VAR", layer.moving_variance.numpy(), "moving_variance after: 0.5*1 + 0.5*biased batch var")

    w.section("Scenario 8: trainable=False layer called with training=True -> inference mode, float32")
    layer = bn_layer(3, f32(GAMMA1), f32(BETA1), f32(FROZEN_MOVING_MEAN), f32(FROZEN_MOVING_VAR))
    layer.trainable = False
    w.add("FROZEN_X", f32(X1), "input (= BN_X)")
    w.add("FROZEN_GAMMA", f32(GAMMA1), "gamma")
    w.add("FROZEN_BETA", f32(BETA1), "beta")
    w.add("FROZEN_MOVING_MEAN_BEFORE", f32(FROZEN_MOVING_MEAN), "moving_mean set before the call")
    w.add("FROZEN_MOVING_VAR_BEFORE", f32(FROZEN_MOVING_VAR), "moving_variance set before the call")
    y = layer(f32(X1), training=True)
    w.add(
        "FROZEN_OUT", np.asarray(y), "layer.trainable=False; layer(x, training=True): normalised with the MOVING stats"
    )
    w.add("FROZEN_MOVING_MEAN_AFTER", layer.moving_mean.numpy(), "moving_mean after the call (unchanged)")
    w.add("FROZEN_MOVING_VAR_AFTER", layer.moving_variance.numpy(), "moving_variance after the call (unchanged)")
    expect = (f32(X1) - f32(FROZEN_MOVING_MEAN)) / np.sqrt(f32(FROZEN_MOVING_VAR) + np.float32(1e-3)) * f32(
        GAMMA1
    ) + f32(BETA1)
    assert np.allclose(np.asarray(y), expect, rtol=1e-5, atol=1e-6)
    assert np.array_equal(layer.moving_mean.numpy(), f32(FROZEN_MOVING_MEAN))

    w.section("Scenario 9: batch of one in training mode (defaults), float32")
    layer = bn_layer(3, f32(GAMMA1), f32(BETA1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = layer(f32(X_ONE), training=True)
    w.add("ONE_X", f32(X_ONE), "input, shape (1, 3)")
    w.add("ONE_GAMMA", f32(GAMMA1), "gamma")
    w.add("ONE_BETA", f32(BETA1), "beta")
    w.add(
        "ONE_TRAIN_OUT",
        np.asarray(y),
        "layer(x, training=True): batch variance 0 -> output ~= beta, NOT bit-exact: "
        "tf.nn.batch_normalization computes x*inv + (beta - mean*inv), inv = gamma/sqrt(eps), and the float32 "
        "cancellation leaves ~1e-6",
    )
    w.add("ONE_MOVING_MEAN", layer.moving_mean.numpy(), "moving_mean after: 0.01 * x")
    w.add("ONE_MOVING_VAR", layer.moving_variance.numpy(), "moving_variance after: 0.99 * 1 + 0.01 * 0")
    w.add(
        "ONE_PYTHON_WARNINGS",
        "; ".join(str(c.message) for c in caught),
        "Python warnings Keras emitted for this call ('' = none: Keras raises nothing and warns nothing)",
    )


def scenario_10(w):
    w.section(
        "Scenario 10: seed 003 -- Input([5]) -> BatchNormalization(epsilon=1e-9, momentum=0.99), "
        "fit(x, x, batch_size=3, epochs=10, shuffle=False)"
    )
    np.random.seed(1)
    x = np.random.randn(10, 5) * 5 + 0.3

    def build():
        keras.utils.set_random_seed(0)  # nothing random in this model; for good measure
        inp = keras.layers.Input([5])
        bn = keras.layers.BatchNormalization(trainable=True, epsilon=1e-9, momentum=0.99)
        model = keras.Model(inputs=inp, outputs=bn(inp))
        model.compile(loss=lambda x, y: (x - y) ** 2)
        return model, bn

    snaps = []

    class Snap(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snaps.append([v.numpy().copy() for v in (bn.moving_mean, bn.moving_variance, bn.gamma, bn.beta)])

    model, bn = build()
    model.fit(x, x, batch_size=3, epochs=10, shuffle=False, verbose=0, callbacks=[Snap()])
    opt = model.optimizer
    jit = model.jit_compile
    cfg = opt.get_config()

    # the snapshot after epoch 1 equals a fresh fit with epochs=1
    model1, bn1 = build()
    model1.fit(x, x, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert np.array_equal(bn1.moving_mean.numpy(), snaps[0][0])
    assert np.array_equal(bn1.moving_variance.numpy(), snaps[0][1])

    w.add("SEED003_X", x, "np.random.seed(1); x = np.random.randn(10, 5) * 5 + 0.3 (float64; Keras casts to float32)")
    w.add("SEED003_EPSILON", 1e-9, "BatchNormalization epsilon")
    w.add("SEED003_MOMENTUM", 0.99, "BatchNormalization momentum")
    w.add("SEED003_BATCH_SIZES", "3,3,3,1", "batches per epoch in order (shuffle=False)")
    w.add(
        "SEED003_OPTIMIZER",
        f"{type(opt).__name__}(learning_rate={float(cfg['learning_rate'])!r}, "
        f"rho={cfg['rho']!r}, momentum={cfg['momentum']!r}, epsilon={cfg['epsilon']!r}, "
        f"centered={cfg['centered']!r})",
        "optimizer compile() picked by default",
    )
    w.add("SEED003_JIT_COMPILE", bool(jit), "model.jit_compile as resolved by compile()'s 'auto'")
    w.add(
        "SEED003_LOSS",
        "lambda x, y: (x - y) ** 2 (Keras passes y_true, y_pred; reduced by mean over batch and features)",
        "the dummy loss",
    )
    w.add("SEED003_MOVING_MEAN_EPOCH1", snaps[0][0], "moving_mean after ONE epoch (4 updates)")
    w.add(
        "SEED003_MOVING_VAR_EPOCH1",
        snaps[0][1],
        "moving_variance after ONE epoch (the last batch has 1 row: variance 0)",
    )
    w.add("SEED003_GAMMA_EPOCH1", snaps[0][2], "gamma after ONE epoch")
    w.add("SEED003_BETA_EPOCH1", snaps[0][3], "beta after ONE epoch")
    w.add("SEED003_MOVING_MEAN", bn.moving_mean.numpy(), "moving_mean after fit (10 epochs, 40 updates)")
    w.add("SEED003_MOVING_VAR", bn.moving_variance.numpy(), "moving_variance after fit")
    w.add("SEED003_GAMMA", bn.gamma.numpy(), "gamma after fit (trained by RMSprop)")
    w.add("SEED003_BETA", bn.beta.numpy(), "beta after fit")
    w.add("SEED003_MOVING_MEAN_PER_EPOCH", np.array([s[0] for s in snaps]), "row e: moving_mean after epoch e+1")
    w.add("SEED003_MOVING_VAR_PER_EPOCH", np.array([s[1] for s in snaps]), "row e: moving_variance after epoch e+1")
    pred = np.asarray(model(x.astype(np.float32)))
    w.add(
        "SEED003_PRED_MEAN",
        pred.mean(axis=0),
        "after fit: model(x) (inference) -> pred.mean(axis=0), as the seed prints",
    )
    w.add("SEED003_PRED_VAR", pred.var(axis=0), "after fit: pred.var(axis=0)")


def scenario_11_12(w):
    w.section(
        "Scenario 11: gradients of sum(dout * y) through Keras BatchNormalization, dtype='float64' "
        "(inputs = torch_values.GRAD_*)"
    )
    w.add("GRAD_X", f64(XG), "input x, shape (4, 3)")
    w.add("GRAD_GAMMA", f64(GAMMAG), "gamma")
    w.add("GRAD_BETA", f64(BETAG), "beta")
    w.add("GRAD_DOUT", f64(DOUTG), "upstream gradient")
    w.add("GRAD_MOVING_MEAN", f64(RUNNING_MEANG), "moving_mean set before the training=False case")
    w.add("GRAD_MOVING_VAR", f64(RUNNING_VARG), "moving_variance set before the training=False case")
    for eps, etag in ((1e-7, "EPS1E7"), (1e-3, "EPS1E3")):
        for training, mode in ((True, "TRAIN"), (False, "EVAL")):
            layer = keras.layers.BatchNormalization(epsilon=eps, dtype="float64")
            layer.build((None, 3))
            layer.gamma.assign(f64(GAMMAG))
            layer.beta.assign(f64(BETAG))
            if not training:
                layer.moving_mean.assign(f64(RUNNING_MEANG))
                layer.moving_variance.assign(f64(RUNNING_VARG))
            x = tf.constant(f64(XG))
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x, training=training)
                loss = tf.reduce_sum(tf.constant(f64(DOUTG)) * y)
            dx, dg, db = tape.gradient(loss, [x, layer.gamma.value, layer.beta.value])
            label = f"training={training}, eps={eps:g}"
            w.add(f"GRAD_{mode}_{etag}_OUT", y.numpy(), f"{label}: forward output")
            w.add(f"GRAD_{mode}_{etag}_DX", dx.numpy(), f"{label}: dx")
            w.add(f"GRAD_{mode}_{etag}_DGAMMA", dg.numpy(), f"{label}: dgamma")
            w.add(f"GRAD_{mode}_{etag}_DBETA", db.numpy(), f"{label}: dbeta")

    w.section(
        "Scenario 12: seed 004's hand-written TF layer (tf.nn.moments(inputs, [0]), eps 1e-7, "
        "scale=ones, beta=zeros, pop_mean=zeros, pop_var=ones), float64, GradientTape"
    )
    x = tf.constant(f64(XG))
    scale = tf.Variable(tf.ones([3], dtype=tf.float64))
    beta = tf.Variable(tf.zeros([3], dtype=tf.float64))
    pop_mean = tf.Variable(tf.zeros([3], dtype=tf.float64))
    pop_var = tf.Variable(tf.ones([3], dtype=tf.float64))
    for branch in ("TRAINING", "TESTING"):
        with tf.GradientTape() as tape:
            tape.watch(x)
            batch_mean, batch_var = tf.nn.moments(x, [0])
            if branch == "TRAINING":
                y = (x - batch_mean) / tf.sqrt(batch_var + 0.0000001) * scale + beta
            else:
                y = (x - pop_mean) / tf.sqrt(pop_var + 0.0000001) * scale + beta
            loss = tf.reduce_sum(tf.constant(f64(DOUTG)) * y)
        dx, ds, db = tape.gradient(loss, [x, scale, beta])
        w.add(f"SEED004_{branch}_OUT", y.numpy(), f"{branch.lower()}() branch output for x = GRAD_X")
        w.add(f"SEED004_{branch}_DX", dx.numpy(), f"{branch.lower()}() branch: dx of sum(GRAD_DOUT * y)")
        w.add(f"SEED004_{branch}_DSCALE", ds.numpy(), f"{branch.lower()}() branch: dscale")
        w.add(f"SEED004_{branch}_DBETA", db.numpy(), f"{branch.lower()}() branch: dbeta")


def adam_tf_form(p0, grads, lr, b1_pow, b2_pow, b1_mom, b2_mom, eps, float32_powers=False):
    """TF's Adam update in float64 NumPy, with the hyper-parameter values passed explicitly."""
    p = np.array(p0, dtype=np.float64)
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    out = []
    p1, p2 = np.float32(b1_pow), np.float32(b2_pow)
    for t, g in enumerate(grads, start=1):
        if float32_powers:
            lr_t = lr * np.sqrt(1 - float(p2)) / (1 - float(p1))
            p1, p2 = np.float32(p1 * np.float32(b1_pow)), np.float32(p2 * np.float32(b2_pow))
        else:
            lr_t = lr * np.sqrt(1 - b2_pow**t) / (1 - b1_pow**t)
        m = m + (g - m) * (1 - b1_mom)
        v = v + (g * g - v) * (1 - b2_mom)
        p = p - (m * lr_t) / (np.sqrt(v) + eps)
        out.append(p.copy())
    return np.array(out)


def scenario_13(w):
    w.section(
        "Scenario 13: Adam via apply_gradients, same initial parameter and gradients as "
        "torch_values.ADAM_* (lr=1e-3, betas 0.9/0.999, epsilon=1e-8)"
    )
    w.lines += [
        "# Both are TensorFlow's 'epsilon hat' form: lr_t = lr*sqrt(1-b2**t)/(1-b1**t),",
        "# m += (g-m)*(1-b1), v += (g*g-v)*(1-b2), p -= (m*lr_t)/(sqrt(v)+eps).",
        "# In FLOAT64 neither is the exact float64 formula (checked by this generator, bit for bit):",
        "#  * Keras: lr is a float32 variable (float32(1e-3)) and b1**t, b2**t use float32(0.9),",
        "#    float32(0.999) (tf.cast of a Python float goes through float32); the moment updates use",
        "#    the exact 0.9/0.999. Net effect vs the exact float64 formula: ~6.6e-6 relative in the step.",
        "#  * TF1 AdamOptimizer: lr, beta1, beta2 and epsilon are all float32 values cast to float64,",
        "#    and beta1_power/beta2_power are float32 variables multiplied in float32 each step.",
        "# So compare a float64 'tf' Adam to these with rtol ~1e-5 on the parameter CHANGE, or to",
        "# ADAM_TF_FORM_EXACT_F64 below (NumPy, exact float64 hyper-parameters) tightly.",
    ]
    for npdt, tag in ((np.float32, "F32"), (np.float64, "F64")):
        grads = np.array(ADAM_GRADS, dtype=npdt)
        w.add(f"ADAM_P0_{tag}", np.array(ADAM_P0, dtype=npdt), f"initial parameter, {npdt.__name__}")
        w.add(f"ADAM_GRADS_{tag}", grads, "gradient for step t is row t-1")
        # Keras 3
        var = keras.Variable(np.array(ADAM_P0, dtype=npdt), dtype=npdt.__name__)
        opt = keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-8)
        hist = []
        for g in grads:
            opt.apply_gradients([(tf.constant(g), var)])
            hist.append(var.numpy().copy())
        w.add(
            f"ADAM_KERAS_PARAMS_{tag}",
            np.array(hist),
            "keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-8): parameter after step t is row t-1",
        )
        # TF1 AdamOptimizer (eager, resource variable; kernel ResourceApplyAdam)
        var = tf.Variable(np.array(ADAM_P0, dtype=npdt))
        opt = tf.compat.v1.train.AdamOptimizer(1e-3)
        hist = []
        for g in grads:
            opt.apply_gradients([(tf.constant(g), var)])
            hist.append(var.numpy().copy())
        w.add(
            f"ADAM_TF1_PARAMS_{tag}",
            np.array(hist),
            "tf.compat.v1.train.AdamOptimizer(1e-3) (epsilon default 1e-8): parameter after step t is row t-1",
        )
        if npdt is np.float64:
            keras64, tf164 = w.values["ADAM_KERAS_PARAMS_F64"], w.values["ADAM_TF1_PARAMS_F64"]
            f = lambda v: float(np.float32(v))
            assert np.array_equal(adam_tf_form(ADAM_P0, grads, f(1e-3), f(0.9), f(0.999), 0.9, 0.999, 1e-8), keras64)
            assert np.array_equal(
                adam_tf_form(ADAM_P0, grads, f(1e-3), f(0.9), f(0.999), f(0.9), f(0.999), f(1e-8), float32_powers=True),
                tf164,
            )
            w.add(
                "ADAM_TF_FORM_EXACT_F64",
                adam_tf_form(ADAM_P0, grads, 1e-3, 0.9, 0.999, 0.9, 0.999, 1e-8),
                "NumPy: the same TF form with exact float64 lr/betas/eps (what a float64 'tf' Adam should give)",
            )


def main():
    doc = header(
        [
            "TensorFlow / Keras 3 reference values for minigrad's tests.",
            "",
            f"Produced with TensorFlow {tf.__version__} (tensorflow-cpu) and Keras {keras.__version__}",
            "(keras.layers.BatchNormalization, keras.optimizers.Adam, tf.compat.v1.train.AdamOptimizer,",
            "tf.GradientTape), eager mode. Keras momentum is the fraction of the moving value kept; the",
            "moving variance is fed the BIASED batch variance.",
            f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset (TensorFlow default: oneDNN on)')};"
            " CPU only.",
        ],
        "/work/tfvenv/bin/python tests/reference/generate_keras.py   # the TensorFlow venv",
    )
    assert tf.keras.layers.BatchNormalization is keras.layers.BatchNormalization  # tf.keras is Keras 3
    w = ModuleWriter(OUT, doc)
    w.add("TF_VERSION", str(tf.__version__), "tf.__version__")
    w.add("KERAS_VERSION", str(keras.__version__), "keras.__version__ (tf.keras is Keras 3)")
    scenario_6_to_9(w)
    scenario_10(w)
    scenario_11_12(w)
    scenario_13(w)
    w.write()


if __name__ == "__main__":
    main()
