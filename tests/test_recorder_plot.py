"""`mg.debug.BatchNormRecorder` (per-step BatchNorm statistics) and `minigrad.debug.plot`."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: before pyplot is imported anywhere

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import minigrad as mg
from minigrad.debug import BatchNormRecorder, record_batchnorm
from minigrad.debug.plot import compare_momenta, plot_moving_averages

N, D, C = 16, 3, 4


def make_model(**bn_kwargs):
    mg.manual_seed(0)
    return mg.nn.Sequential(mg.nn.Dense(D, C), mg.nn.BatchNorm(C, **bn_kwargs), mg.nn.ReLU(), mg.nn.Dense(C, 1))


def batches(steps: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    # Shifted and scaled, so the statistics are far from the moving averages' start (0 and 1).
    return [rng.normal(2.0, 3.0, size=(N, D)) for _ in range(steps)]


def train(model, data, lr=0.05):
    """SGD on y = first input column; returns the BatchNorm input of every step (numpy, by hand)."""
    opt = mg.optim.SGD(model.parameters(), lr=lr)
    bn_inputs = []
    for xb in data:
        dense = model[0]
        bn_inputs.append(xb @ dense.weight.data + dense.bias.data)  # before this step's update
        loss = mg.nn.mse_loss(model(mg.tensor(xb)), xb[:, :1])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return bn_inputs


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "the plot has no legend"
    return [t.get_text() for t in legend.get_texts()]


def moving_recurrence(batch_stats: np.ndarray, momentum: float, start: np.ndarray) -> np.ndarray:
    """moving_t = m * moving_{t-1} + (1 - m) * batch_t, the hand computation the record must match."""
    out, moving = [], np.array(start, dtype=np.float64)
    for stat in batch_stats:
        moving = momentum * moving + (1 - momentum) * stat
        out.append(moving)
    return np.array(out)


# -------------------------------------------------------------------------------- recorder
def test_records_batch_statistics_and_the_moving_average_recurrence():
    model = make_model(momentum=0.9)
    with BatchNormRecorder(model) as rec:
        bn_inputs = train(model, batches(25))
    assert list(rec) == ["1"] and len(rec) == 1
    r = rec["1"]
    assert r.steps == len(r) == 25 and r.momentum == 0.9 and r.name == "1"
    for array in (r.batch_mean, r.batch_variance, r.moving_mean, r.moving_variance):
        assert array.shape == (25, C)
    # The batch statistics are NumPy's mean and (biased) variance of the layer's input.
    np.testing.assert_allclose(r.batch_mean, [h.mean(axis=0) for h in bn_inputs], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.batch_variance, [h.var(axis=0) for h in bn_inputs], rtol=1e-10)
    # The moving statistics follow the recurrence from 0 (mean) and 1 (variance).
    np.testing.assert_array_equal(r.initial_moving_mean, np.zeros(C))
    np.testing.assert_array_equal(r.initial_moving_variance, np.ones(C))
    np.testing.assert_allclose(r.moving_mean, moving_recurrence(r.batch_mean, 0.9, np.zeros(C)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(r.moving_variance, moving_recurrence(r.batch_variance, 0.9, np.ones(C)), rtol=1e-12)
    # The last row is the layer's state; rows are snapshots, not views of the live buffer.
    np.testing.assert_array_equal(r.moving_mean[-1], model[1].moving_mean.data)
    assert not np.array_equal(r.moving_mean[0], r.moving_mean[-1])
    np.testing.assert_array_equal(r.num_batches_tracked, np.arange(1, 26))
    np.testing.assert_array_equal(r.count, np.full(25, N))


def test_keras_default_momentum_moves_slowly():
    model = make_model()  # keras: momentum 0.99
    rec = record_batchnorm(model)
    train(model, batches(10))
    rec.remove()
    r = rec["1"]
    assert r.momentum == 0.99 and r.convention == "keras" and r.eps == 1e-3
    np.testing.assert_allclose(
        r.moving_mean, moving_recurrence(r.batch_mean, 0.99, np.zeros(C)), rtol=1e-12, atol=1e-14
    )


def test_cs231n_starts_the_moving_variance_at_zero():
    model = make_model(convention="cs231n")
    with BatchNormRecorder(model) as rec:
        train(model, batches(8))
    r = rec["1"]
    np.testing.assert_array_equal(r.initial_moving_variance, np.zeros(C))
    np.testing.assert_allclose(r.moving_variance, moving_recurrence(r.batch_variance, 0.9, np.zeros(C)), rtol=1e-12)


def test_torch_feeds_the_unbiased_variance_which_count_lets_you_rebuild():
    model = make_model(convention="torch")
    with BatchNormRecorder(model) as rec:
        train(model, batches(8))
    r = rec["1"]
    n = r.count[:, None]
    unbiased = r.batch_variance * n / (n - 1)
    np.testing.assert_allclose(r.moving_variance, moving_recurrence(unbiased, 0.9, np.ones(C)), rtol=1e-12)


def test_cumulative_momentum_is_the_running_average():
    model = make_model(momentum="cumulative")
    with BatchNormRecorder(model) as rec:
        train(model, batches(6))
    r = rec["1"]
    expected = np.cumsum(r.batch_mean, axis=0) / np.arange(1, 7)[:, None]
    np.testing.assert_allclose(r.moving_mean, expected, rtol=1e-12, atol=1e-14)


def test_channels_on_axis_1_of_nchw_input():
    bn = mg.nn.BatchNorm(3, axis=1, momentum=0.5)
    x = np.random.default_rng(2).normal(size=(2, 3, 4, 5))
    with BatchNormRecorder(bn) as rec:
        bn(mg.tensor(x))
    r = rec[""]  # the model is the layer itself: path ""
    np.testing.assert_allclose(r.batch_mean[0], x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(r.batch_variance[0], x.var(axis=(0, 2, 3)), rtol=1e-12)
    assert r.count[0] == 2 * 4 * 5


def test_inference_forwards_are_not_steps():
    model = make_model(momentum=0.9)
    with BatchNormRecorder(model) as rec:
        train(model, batches(3))
        model.eval()
        model(mg.tensor(batches(1, seed=5)[0]))  # eval: moving statistics normalise, nothing updates
        model.train()
        model[1].trainable = False  # frozen: inference mode too (the Keras rule)
        model(mg.tensor(batches(1, seed=6)[0]))
    r = rec["1"]
    assert r.steps == 3 and r.inference_forwards == 2
    np.testing.assert_array_equal(r.moving_mean[-1], model[1].moving_mean.data)


def test_removal_stops_recording_and_keeps_the_records():
    model = make_model(momentum=0.9)
    rec = record_batchnorm(model)
    train(model, batches(2))
    assert rec.active
    rec.remove()
    assert not rec.active and "stopped" in repr(rec)
    train(model, batches(3))
    assert rec["1"].steps == 2
    with BatchNormRecorder(model) as rec2:
        train(model, batches(1))
    train(model, batches(1))  # after the with block
    assert rec2["1"].steps == 1


def test_recording_does_not_change_the_output():
    data = batches(1)[0]
    plain = make_model()(mg.tensor(data)).data
    model = make_model()
    with BatchNormRecorder(model):
        recorded = model(mg.tensor(data)).data
    np.testing.assert_array_equal(plain, recorded)


def test_every_batchnorm_layer_by_path_and_the_layers_filter():
    class Block(mg.nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = mg.nn.Dense(C, C)
            self.bn = mg.nn.BatchNorm(C, momentum=0.8)

        def forward(self, x):
            return self.bn(self.dense(x)).relu()

    mg.manual_seed(0)
    model = mg.nn.Sequential(mg.nn.Dense(D, C), mg.nn.BatchNorm(C), Block(), mg.nn.Dense(C, 1))
    with BatchNormRecorder(model) as rec:
        train(model, batches(4))
    assert list(rec) == ["1", "2.bn"]
    assert rec["2.bn"].momentum == 0.8 and rec["2.bn"].steps == 4
    with BatchNormRecorder(model, layers=["2.bn"]) as only:
        train(model, batches(1))
    assert list(only) == ["2.bn"]
    with pytest.raises(KeyError, match=r"'3'.*'1', '2.bn'"):
        BatchNormRecorder(model, layers=["3"])
    with pytest.raises(KeyError, match="'2.bn'"):
        only["1"]


def test_a_model_without_batchnorm_is_a_clear_error():
    with pytest.raises(ValueError, match="Sequential has no BatchNorm"):
        BatchNormRecorder(mg.nn.Sequential(mg.nn.Dense(2, 2)))
    with pytest.raises(TypeError, match="Module"):
        BatchNormRecorder(np.ones(3))


def test_record_str_shows_the_last_step_per_channel():
    model = make_model(momentum=0.9)
    with BatchNormRecorder(model) as rec:
        train(model, batches(2))
    text = str(rec["1"])
    assert "2 steps x 4 channels" in text and "after step 2" in text
    assert len([line for line in text.splitlines() if line.strip().split(" ")[0] in "0123"]) == C


# ------------------------------------------------------------------------------------ plots
@pytest.fixture
def recorded():
    model = make_model(momentum=0.9)
    with BatchNormRecorder(model) as rec:
        train(model, batches(12))
    return rec


def test_plot_moving_averages_two_panels_two_lines_each(recorded):
    open_before = plt.get_fignums()
    fig = plot_moving_averages(recorded, channel=2)
    assert isinstance(fig, Figure) and plt.get_fignums() == open_before
    mean_ax, var_ax = fig.axes
    r = recorded["1"]
    for ax, stat, batch, moving, start in (
        (mean_ax, "mean", r.batch_mean, r.moving_mean, 0.0),
        (var_ax, "variance", r.batch_variance, r.moving_variance, 1.0),
    ):
        lines = ax.get_lines()
        assert len(lines) == 2
        assert ax.get_title() == f"BatchNorm '1', channel 2: {stat}"
        assert ax.get_xlabel() == "training step" and ax.get_ylabel() == stat
        assert legend_texts(ax) == [f"batch {stat}", f"moving {stat} (momentum=0.9)"]
        np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 13))
        np.testing.assert_array_equal(lines[0].get_ydata(), batch[:, 2])
        np.testing.assert_array_equal(lines[1].get_xdata(), np.arange(13))  # step 0: the start value
        np.testing.assert_array_equal(lines[1].get_ydata(), np.concatenate([[start], moving[:, 2]]))


def test_plot_moving_averages_reference_lines_and_a_single_record(recorded):
    fig = plot_moving_averages(recorded["1"], true_mean=1.0, true_variance=2.0)
    assert [len(ax.get_lines()) for ax in fig.axes] == [3, 3]
    np.testing.assert_array_equal(fig.axes[0].get_lines()[2].get_ydata(), [1.0, 1.0])


def test_plot_moving_averages_one_row_per_layer():
    mg.manual_seed(0)
    model = mg.nn.Sequential(
        mg.nn.Dense(D, C), mg.nn.BatchNorm(C), mg.nn.Dense(C, C), mg.nn.BatchNorm(C, momentum=0.5), mg.nn.Dense(C, 1)
    )
    with BatchNormRecorder(model) as rec:
        train(model, batches(3))
    fig = plot_moving_averages(rec)
    assert len(fig.axes) == 4 and "'3'" in fig.axes[2].get_title()
    assert len(plot_moving_averages(rec, layers=["3"]).axes) == 2
    with pytest.raises(KeyError, match="'7'"):
        plot_moving_averages(rec, layers=["7"])


def test_plot_errors(recorded):
    with pytest.raises(IndexError, match=r"channel 9 .* 4 channels"):
        plot_moving_averages(recorded, channel=9)
    model = make_model()
    with BatchNormRecorder(model) as empty:
        model.eval()
        model(mg.tensor(batches(1)[0]))
    with pytest.raises(ValueError, match="no training step"):
        plot_moving_averages(empty)
    with pytest.raises(TypeError):
        plot_moving_averages([1, 2])


def test_compare_momenta_one_line_per_momentum_plus_the_batch():
    runs = {}
    for m in (0.5, 0.9, 0.99):
        model = make_model(momentum=m)
        with BatchNormRecorder(model) as rec:
            train(model, batches(10))
        runs[f"m={m}"] = rec  # a recorder with one layer is accepted as is
    fig = compare_momenta(runs, channel=1)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, stat in zip(fig.axes, ("mean", "variance")):
        assert len(ax.get_lines()) == 4  # 3 moving averages and the batch statistic
        labels = legend_texts(ax)
        assert labels[1:] == ["m=0.5", "m=0.9", "m=0.99"]  # the labels say the momentum already
        assert ax.get_title() == f"moving {stat}, channel 1" and ax.get_xlabel() == "training step"
    # Same data and seed: the same batches, so the momentum alone separates the curves.
    np.testing.assert_array_equal(runs["m=0.5"]["1"].batch_mean, runs["m=0.99"]["1"].batch_mean)
    assert [len(ax.get_lines()) for ax in compare_momenta(runs, show_batch=False).axes] == [3, 3]
    named = compare_momenta({"fast": runs["m=0.5"], "slow": runs["m=0.99"]["1"]}, show_batch=False)
    assert legend_texts(named.axes[0]) == [
        "fast (momentum=0.5)",
        "slow (momentum=0.99)",
    ]


def test_compare_momenta_needs_a_layer_for_a_multi_layer_recorder():
    mg.manual_seed(0)
    model = mg.nn.Sequential(mg.nn.Dense(D, C), mg.nn.BatchNorm(C), mg.nn.BatchNorm(C), mg.nn.Dense(C, 1))
    with BatchNormRecorder(model) as rec:
        train(model, batches(2))
    with pytest.raises(ValueError, match="layer="):
        compare_momenta({"a": rec})
    fig = compare_momenta({"a": rec}, layer="2")
    assert len(fig.axes[0].get_lines()) == 2
    with pytest.raises(TypeError):
        compare_momenta({})
