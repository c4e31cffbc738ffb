"""Each seed question (../shared/seeds/) as a runnable situation, checked against the numbers the
real frameworks printed or recorded (minigrad/reference/)."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.reference import keras_values as keras
from minigrad.reference import tf1_seed000_values as tf1


# --------------------------------------------------------------------------------- 000
def seed000_network(w1: float, w2: float) -> nn.Sequential:
    """The seed's network: dense(no bias) -> BN(momentum 0.5) -> relu -> dense(no bias) -> BN(0.5)."""
    model = nn.Sequential(
        nn.Dense(1, 1, bias=False, dtype=np.float32),
        nn.BatchNorm(1, momentum=0.5, dtype=np.float32),
        nn.ReLU(),
        nn.Dense(1, 1, bias=False, dtype=np.float32),
        nn.BatchNorm(1, momentum=0.5, dtype=np.float32),
    )
    model[0].weight.data[...] = w1
    model[3].weight.data[...] = w2
    return model


def seed000_step(model: nn.Sequential) -> None:
    """One `sess.run([optimizer, UPDATE_OPS], training=True)`: minigrad updates the moving statistics
    during the forward pass, from the pre-update weights, exactly TensorFlow's order."""
    optimizer = mg.optim.Adam(model.parameters(), lr=tf1.LEARNING_RATE, eps=1e-8, convention="tf")
    loss = nn.mse_loss(model(tf1.BATCH_X), tf1.BATCH_Y)
    loss.backward()
    optimizer.step()


@pytest.mark.parametrize("w2", [float(w) for w in tf1.W2_REPRODUCING])
def test_seed000_printout_reproduced_to_the_printed_digit(w2):
    w1 = float(np.float32(4) * np.float32(0.3514931))  # moving mean = 0.5 * 0 + 0.5 * (w1 * (0 + 1) / 2)
    model = seed000_network(w1, w2)
    seed000_step(model)
    model.eval()
    hidden = model[0](tf1.BATCH_X)
    bn_1 = model[1](hidden)
    bn_1x = model[2](bn_1)
    printed = {
        "W1_AFTER": model[0].weight.data,
        "HIDDEN_1": hidden.data,
        "BN_1": bn_1.data,
        "BN_1X": bn_1x.data,
        "BN1_MOVING_MEAN": model[1].moving_mean.data,
        "BN1_MOVING_VAR": model[1].moving_variance.data,
        "BN1_GAMMA": model[1].gamma.data,
        "BN1_BETA": model[1].beta.data,
    }
    for item, value in printed.items():
        assert str(value) == getattr(tf1, "SEED_PRINTED_" + item), item  # numpy's float32 printing, as the seed
    suffix = "_W2_M0_285" if w2 < 0 else f"_W2_P{w2:g}".replace(".", "_")
    for item in (
        "W1_AFTER",
        "BN_1",
        "BN1_MOVING_MEAN",
        "BN1_MOVING_VAR",
        "BN1_GAMMA",
        "BN1_BETA",
        "BN2_MOVING_MEAN",
        "BN2_MOVING_VAR",
        "BN2_GAMMA",
        "BN2_BETA",
        "W2_AFTER",
    ):
        ours = {
            **printed,
            "BN2_MOVING_MEAN": model[4].moving_mean.data,
            "BN2_MOVING_VAR": model[4].moving_variance.data,
            "BN2_GAMMA": model[4].gamma.data,
            "BN2_BETA": model[4].beta.data,
            "W2_AFTER": model[3].weight.data,
        }[item]
        np.testing.assert_allclose(ours, getattr(tf1, item + suffix), rtol=1e-6, atol=1e-7, err_msg=item)


def test_seed000_moving_mean_is_half_the_batch_mean_because_half_of_zero_is_kept():
    model = seed000_network(1.4059724, -0.285)
    seed000_step(model)
    batch_mean = (0.0 + 1.4059724) / 2
    assert model[1].moving_mean.data[0] == pytest.approx(0.5 * 0.0 + 0.5 * batch_mean, rel=1e-6)
    assert model[1].moving_mean.data[0] != pytest.approx(batch_mean, rel=1e-2)
    # the statistics were taken from the weight BEFORE Adam moved it
    assert model[1].moving_mean.data[0] == pytest.approx(model[1].last_batch_mean[0] / 2)
    assert model[1].last_batch_mean[0] == pytest.approx(1.4059724 / 2)
    assert tf1.MOVING_AVERAGE_SAW_PRE_UPDATE_WEIGHTS


# --------------------------------------------------------------------------------- 001
def test_seed001_nhwc_statistics_are_per_channel():
    x = np.random.default_rng(0).standard_normal((4, 5, 5, 3)) * np.array([1.0, 2.0, 3.0]) + np.array([0.0, 5.0, -5.0])
    bn = nn.BatchNorm(3, momentum=0.0)
    out = bn(x).data
    assert bn.moving_mean.shape == (3,)
    np.testing.assert_allclose(bn.moving_mean.data, x.mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 1, 2)), x.var(axis=(0, 1, 2)) / (x.var(axis=(0, 1, 2)) + 1e-3))


def test_seed001_checkpoint_of_trainable_variables_only_fails_naming_the_moving_statistics(tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Dense(4, 3), nn.BatchNorm(3), nn.ReLU(), nn.Dense(3, 1))
    model(np.random.default_rng(0).standard_normal((8, 4)))
    trainable = {name: p.data for name, p in model.named_parameters()}  # tf.trainable_variables()
    path = tmp_path / "trainable_only.npz"
    mg.save(trainable, path)
    fresh = nn.Sequential(nn.Dense(4, 3), nn.BatchNorm(3), nn.ReLU(), nn.Dense(3, 1))
    before = fresh.state_dict()
    with pytest.raises(ValueError, match=r"missing keys: 1\.moving_mean, 1\.moving_variance, 1\.num_batches_tracked"):
        fresh.load_state_dict(mg.load(path))
    assert all(np.array_equal(v, before[k]) for k, v in fresh.state_dict().items())
    mg.save(model.state_dict(), path)  # the fix: the full state dict, buffers included
    fresh.load_state_dict(mg.load(path))
    x = np.random.default_rng(1).standard_normal((5, 4))
    assert np.array_equal(fresh.eval()(x).data, model.eval()(x).data)


# --------------------------------------------------------------------------------- 002
def test_seed002_constant_minibatch_gives_beta_in_training_mode_moving_stats_in_eval():
    mg.manual_seed(0)
    layer = nn.Sequential(nn.Dense(4, 10), nn.BatchNorm(10))
    layer[1].beta.data[:] = np.linspace(-1, 1, 10)
    same_rows = np.tile(np.random.default_rng(0).standard_normal(4), (6, 1))
    np.testing.assert_allclose(layer(same_rows).data, np.broadcast_to(layer[1].beta.data, (6, 10)), atol=1e-12)
    # The seed's observation (means 0, variances 1) is what inference mode does: moving statistics.
    layer.eval()
    fresh = nn.Sequential(nn.Dense(4, 10), nn.BatchNorm(10)).eval()
    fresh.load_state_dict(layer.state_dict())
    fresh[1].moving_mean.data[:] = 0
    fresh[1].moving_variance.data[:] = 1
    h = fresh[0](same_rows).data
    np.testing.assert_allclose(fresh(same_rows).data, h / np.sqrt(1 + 1e-3) + layer[1].beta.data)


def test_seed002_no_update_op_to_forget_statistics_move_in_the_forward_pass():
    bn = nn.BatchNorm(2, momentum=0.9)
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    bn(x)  # nothing else to run: no UPDATE_OPS, no control dependency
    np.testing.assert_allclose(bn.moving_mean.data, 0.1 * x.mean(0))


# --------------------------------------------------------------------------------- 003
def test_seed003_frozen_layer_predictions_never_update_statistics():
    x = np.random.default_rng(1).standard_normal((3, 5)) * 5 + 0.3
    bn = nn.BatchNorm(5, eps=1e-9)
    bn.trainable = False
    outputs = [bn(x).data for _ in range(10)]
    assert all(np.array_equal(outputs[0], o) for o in outputs)
    assert np.array_equal(bn.moving_mean.data, np.zeros(5)) and bn.num_batches_tracked.data == 0


def test_seed003_keras_fit_moving_statistics_reproduced():
    """fit(x, x, batch_size=3, epochs=10, shuffle=False): batches of 3, 3, 3 and 1 per epoch.
    The input feeds BatchNorm directly, so its moving statistics depend only on the batches,
    not on how RMSprop moved gamma and beta: training-mode forwards reproduce them."""
    bn = nn.BatchNorm(5, eps=keras.SEED003_EPSILON, momentum=keras.SEED003_MOMENTUM, dtype=np.float32)
    x = keras.SEED003_X.astype(np.float32)
    sizes = [int(s) for s in keras.SEED003_BATCH_SIZES.split(",")]
    starts = np.cumsum([0] + sizes[:-1])
    for epoch in range(10):
        for start, size in zip(starts, sizes):
            with pytest.warns(UserWarning) if size == 1 else _no_warning():
                bn(x[start : start + size])
        np.testing.assert_allclose(
            bn.moving_mean.data, keras.SEED003_MOVING_MEAN_PER_EPOCH[epoch], rtol=1e-5, atol=1e-6
        )
        np.testing.assert_allclose(
            bn.moving_variance.data, keras.SEED003_MOVING_VAR_PER_EPOCH[epoch], rtol=1e-5, atol=1e-6
        )
    np.testing.assert_allclose(bn.moving_mean.data, keras.SEED003_MOVING_MEAN, rtol=1e-5, atol=1e-6)
    # predict() afterwards runs inference mode: calling it ten times changes nothing
    bn.eval()
    first = bn(x).data
    assert np.array_equal(first, bn(x).data) and bn.num_batches_tracked.data == 40


class _no_warning:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
