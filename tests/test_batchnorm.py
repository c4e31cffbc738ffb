"""BatchNorm: modes, conventions, channel axes, errors, gradients, and parity with the frameworks.

Reference numbers come from minigrad/reference/*_values.py, produced by the real frameworks
(PyTorch 2.13 CPU, TensorFlow 2.21 / Keras 3.15, cs231n's NumPy code) by the generator scripts
beside them; see each module's docstring.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import Tolerance, grad_of
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds

import minigrad as mg
from minigrad import nn
from minigrad.ops import BatchNormTrain
from minigrad.ops.base import Context
from minigrad.reference import cs231n_values as cs231n
from minigrad.reference import keras_values as keras
from minigrad.reference import torch_values as torch_ref

F32 = Tolerance(rtol=2e-6, atol=2e-6)  # a few float32 ulps: frameworks order their arithmetic differently
F64 = Tolerance(rtol=1e-12, atol=1e-12)


def make_bn(num_features, gamma=None, beta=None, **kwargs) -> nn.BatchNorm:
    bn = nn.BatchNorm(num_features, **kwargs)
    if gamma is not None:
        bn.gamma.data[...] = gamma
        bn.beta.data[...] = beta
    return bn


# --------------------------------------------------------------------------- defaults
@pytest.mark.parametrize(
    "convention, momentum, eps, initial_var",
    [("keras", 0.99, 1e-3, 1.0), ("torch", 0.9, 1e-5, 1.0), ("cs231n", 0.9, 1e-5, 0.0)],
)
def test_convention_defaults(convention, momentum, eps, initial_var):
    bn = nn.BatchNorm(3, convention=convention)
    assert (bn.momentum, bn.eps) == (momentum, eps)
    assert np.array_equal(bn.gamma.data, np.ones(3)) and np.array_equal(bn.beta.data, np.zeros(3))
    assert np.array_equal(bn.moving_mean.data, np.zeros(3))
    assert np.array_equal(bn.moving_variance.data, np.full(3, initial_var))
    assert bn.num_batches_tracked.data == 0
    explicit = nn.BatchNorm(3, convention=convention, momentum=0.5, eps=0.1)
    assert (explicit.momentum, explicit.eps) == (0.5, 0.1)


def test_affine_false_has_no_parameters_but_keeps_buffers():
    bn = nn.BatchNorm(2, affine=False)
    assert list(bn.parameters()) == []
    x = np.random.default_rng(0).standard_normal((5, 2))
    out = bn(x).data
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3))
    assert set(bn.state_dict()) == {"moving_mean", "moving_variance", "num_batches_tracked"}


# ------------------------------------------------------------------------- parity
def test_keras_training_step_then_inference_float32():
    bn = make_bn(3, keras.BN_GAMMA, keras.BN_BETA, dtype=np.float32)
    out = bn(keras.BN_X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, keras.BN_TRAIN_OUT, **F32)
    np.testing.assert_allclose(bn.moving_mean.data, keras.BN_MOVING_MEAN, **F32)
    np.testing.assert_allclose(bn.moving_variance.data, keras.BN_MOVING_VAR, **F32)
    bn.eval()
    np.testing.assert_allclose(bn(keras.BN_X_EVAL).data, keras.BN_EVAL_OUT, **F32)


def test_keras_nhwc_per_channel_statistics():
    bn = make_bn(2, keras.NHWC_GAMMA, keras.NHWC_BETA, momentum=0.5, dtype=np.float32)
    np.testing.assert_allclose(bn(keras.NHWC_X).data, keras.NHWC_TRAIN_OUT, **F32)
    np.testing.assert_allclose(bn.moving_mean.data, keras.NHWC_MOVING_MEAN, **F32)
    np.testing.assert_allclose(bn.moving_variance.data, keras.NHWC_MOVING_VAR, **F32)


def test_keras_frozen_layer_called_in_training_runs_inference_and_updates_nothing():
    bn = make_bn(3, keras.FROZEN_GAMMA, keras.FROZEN_BETA, dtype=np.float32)
    bn.moving_mean.data[:] = keras.FROZEN_MOVING_MEAN_BEFORE
    bn.moving_variance.data[:] = keras.FROZEN_MOVING_VAR_BEFORE
    bn.trainable = False
    assert bn.training and not bn.updates_statistics
    np.testing.assert_allclose(bn(keras.FROZEN_X).data, keras.FROZEN_OUT, **F32)
    assert np.array_equal(bn.moving_mean.data, keras.FROZEN_MOVING_MEAN_AFTER)
    assert np.array_equal(bn.moving_variance.data, keras.FROZEN_MOVING_VAR_AFTER)
    assert bn.num_batches_tracked.data == 0


def test_keras_batch_of_one_gives_beta_warns_and_feeds_variance_zero():
    bn = make_bn(3, keras.ONE_GAMMA, keras.ONE_BETA, dtype=np.float32)
    with pytest.warns(UserWarning, match="one value per channel.*equals beta"):
        out = bn(keras.ONE_X)
    assert np.array_equal(out.data, keras.ONE_BETA[None, :])  # exactly: x - mean is exactly 0
    np.testing.assert_allclose(out.data, keras.ONE_TRAIN_OUT, atol=2e-6)  # Keras rounds x*inv - mean*inv
    np.testing.assert_allclose(bn.moving_mean.data, keras.ONE_MOVING_MEAN, **F32)
    np.testing.assert_allclose(bn.moving_variance.data, keras.ONE_MOVING_VAR, **F32)


@pytest.mark.parametrize("convention", ["torch", "cs231n"])
def test_batch_of_one_is_an_error_like_pytorch(convention):
    bn = nn.BatchNorm(3, convention=convention)
    with pytest.raises(
        ValueError, match=r"expected more than 1 value per channel when training, got input shape \(1, 3\)"
    ):
        bn(np.ones((1, 3)))
    bn.eval()
    assert bn(np.ones((1, 3))).shape == (1, 3), "inference on one sample is fine"
    assert "Expected more than 1 value per channel when training" in torch_ref.BN1D_BATCH_OF_ONE_ERROR_MESSAGE


@pytest.mark.parametrize("suffix, dtype, tol", [("", np.float64, F64), ("_F32", np.float32, F32)])
def test_torch_batchnorm1d_train_running_stats_and_eval(suffix, dtype, tol):
    bn = make_bn(3, torch_ref.BN1D_GAMMA, torch_ref.BN1D_BETA, convention="torch", dtype=dtype)
    assert bn.momentum == torch_ref.BN1D_MINIGRAD_MOMENTUM and bn.eps == torch_ref.BN1D_EPS
    np.testing.assert_allclose(
        bn(torch_ref.BN1D_X.astype(dtype)).data, getattr(torch_ref, "BN1D_TRAIN_OUT" + suffix), **tol
    )
    np.testing.assert_allclose(bn.moving_mean.data, getattr(torch_ref, "BN1D_RUNNING_MEAN" + suffix), **tol)
    np.testing.assert_allclose(bn.moving_variance.data, getattr(torch_ref, "BN1D_RUNNING_VAR" + suffix), **tol)
    assert bn.num_batches_tracked.data == getattr(torch_ref, "BN1D_NUM_BATCHES_TRACKED" + suffix)
    bn.eval()
    np.testing.assert_allclose(
        bn(torch_ref.BN1D_X_EVAL.astype(dtype)).data, getattr(torch_ref, "BN1D_EVAL_OUT" + suffix), **tol
    )


def test_torch_cumulative_momentum_is_a_plain_average_over_batches():
    bn = make_bn(3, torch_ref.BN1D_GAMMA, torch_ref.BN1D_BETA, convention="torch", momentum="cumulative")
    for step in (1, 2, 3):
        out = bn(getattr(torch_ref, f"BN1D_CUM_X{step}"))
        np.testing.assert_allclose(out.data, getattr(torch_ref, f"BN1D_CUM_OUT{step}"), **F64)
        np.testing.assert_allclose(bn.moving_mean.data, getattr(torch_ref, f"BN1D_CUM_RUNNING_MEAN{step}"), **F64)
        np.testing.assert_allclose(bn.moving_variance.data, getattr(torch_ref, f"BN1D_CUM_RUNNING_VAR{step}"), **F64)
        assert bn.num_batches_tracked.data == getattr(torch_ref, f"BN1D_CUM_NUM_BATCHES_TRACKED{step}")


def test_torch_batchnorm2d_nchw_with_axis_1():
    bn = make_bn(2, torch_ref.BN2D_GAMMA, torch_ref.BN2D_BETA, convention="torch", axis=1)
    np.testing.assert_allclose(bn(torch_ref.BN2D_X).data, torch_ref.BN2D_TRAIN_OUT, **F64)
    np.testing.assert_allclose(bn.moving_mean.data, torch_ref.BN2D_RUNNING_MEAN, **F64)
    np.testing.assert_allclose(bn.moving_variance.data, torch_ref.BN2D_RUNNING_VAR, **F64)
    bn.eval()
    np.testing.assert_allclose(bn(torch_ref.BN2D_X_EVAL).data, torch_ref.BN2D_EVAL_OUT, **F64)


@pytest.mark.parametrize("mode, eps", [("TRAIN", "1E7"), ("TRAIN", "1E3"), ("EVAL", "1E7"), ("EVAL", "1E3")])
def test_gradients_match_pytorch_in_both_modes_and_both_epsilons(mode, eps):
    bn = make_bn(3, torch_ref.GRAD_GAMMA, torch_ref.GRAD_BETA, convention="torch", eps=float(eps.replace("E", "e-")))
    if mode == "EVAL":
        bn.moving_mean.data[:] = torch_ref.GRAD_RUNNING_MEAN
        bn.moving_variance.data[:] = torch_ref.GRAD_RUNNING_VAR
        bn.eval()
    x = mg.tensor(torch_ref.GRAD_X, requires_grad=True)
    out = bn(x)
    out.backward(torch_ref.GRAD_DOUT)
    prefix = f"GRAD_{mode}_EPS{eps}_"
    np.testing.assert_allclose(out.data, getattr(torch_ref, prefix + "OUT"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_of(x), getattr(torch_ref, prefix + "DX"), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad_of(bn.gamma), getattr(torch_ref, prefix + "DGAMMA"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_of(bn.beta), getattr(torch_ref, prefix + "DBETA"), rtol=1e-10, atol=1e-12)


def test_cs231n_forward_running_stats_start_at_zero():
    bn = make_bn(3, cs231n.GAMMA, cs231n.BETA, convention="cs231n")
    np.testing.assert_allclose(bn(cs231n.X).data, cs231n.TRAIN_OUT, **F64)
    np.testing.assert_allclose(bn.moving_mean.data, cs231n.RUNNING_MEAN, **F64)
    np.testing.assert_allclose(bn.moving_variance.data, cs231n.RUNNING_VAR, **F64)
    bn.eval()
    np.testing.assert_allclose(bn(cs231n.X_EVAL).data, cs231n.TEST_OUT, **F64)
    fresh = make_bn(3, cs231n.GAMMA, cs231n.BETA, convention="cs231n").eval()
    np.testing.assert_allclose(fresh(cs231n.X_EVAL).data, cs231n.TEST_FRESH_OUT, rtol=1e-12)


# ------------------------------------------------------------------------ behaviour
def test_moving_average_formula_momentum_is_the_fraction_kept():
    x = np.array([[0.0], [1.4059724]])
    bn = nn.BatchNorm(1, momentum=0.5)
    bn(x)
    # seed 000: 0.5 * 0 + 0.5 * batch_mean, 0.5 * 1 + 0.5 * biased batch variance
    assert bn.moving_mean.data[0] == pytest.approx(0.5 * 0 + 0.5 * x.mean())
    assert bn.moving_variance.data[0] == pytest.approx(0.5 * 1 + 0.5 * x.var())
    assert bn.last_batch_mean is not None and bn.last_batch_variance is not None
    np.testing.assert_allclose(bn.last_batch_mean, x.mean(0))
    np.testing.assert_allclose(bn.last_batch_variance, x.var(0))


def test_statistics_update_exactly_when_training_and_trainable():
    x = np.random.default_rng(0).standard_normal((6, 2)) + 3
    for training in (True, False):
        for trainable in (True, False):
            bn = nn.BatchNorm(2)
            bn.train(training)
            bn.trainable = trainable
            out = bn(x).data
            updated = not np.array_equal(bn.moving_mean.data, np.zeros(2))
            assert updated == (training and trainable)
            uses_batch_stats = np.allclose(out.mean(0), 0, atol=1e-6)
            assert uses_batch_stats == (training and trainable)


def test_constant_minibatch_in_training_gives_beta_and_eval_uses_moving_statistics():
    bn = make_bn(3, np.array([2.0, 3.0, 4.0]), np.array([0.5, -1.0, 0.25]))
    constant = np.full((8, 3), 7.0)
    np.testing.assert_allclose(bn(constant).data, np.broadcast_to([0.5, -1.0, 0.25], (8, 3)))
    bn.eval()
    expected = 2.0 * (7.0 - bn.moving_mean.data[0]) / np.sqrt(bn.moving_variance.data[0] + 1e-3) + 0.5
    assert bn(constant).data[0, 0] == pytest.approx(expected)


@pytest.mark.parametrize("axis, shape", [(-1, (2, 3, 3, 4)), (1, (2, 4, 3, 3)), (-1, (5, 4)), (0, (4, 5))])
def test_statistics_are_per_channel_over_every_other_axis(axis, shape):
    x = np.random.default_rng(1).standard_normal(shape) * 3 + 1
    bn = nn.BatchNorm(4, axis=axis, momentum=0.0)  # momentum 0: the moving values ARE the batch stats
    bn(x)
    reduce = tuple(a for a in range(len(shape)) if a != axis % len(shape))
    np.testing.assert_allclose(bn.moving_mean.data, x.mean(axis=reduce))
    np.testing.assert_allclose(bn.moving_variance.data, x.var(axis=reduce))


def test_nhwc_and_nchw_layers_agree_on_transposed_input():
    x = np.random.default_rng(2).standard_normal((3, 4, 4, 5))
    nhwc, nchw = nn.BatchNorm(5, axis=-1), nn.BatchNorm(5, axis=1)
    out_nhwc = nhwc(x).data
    out_nchw = nchw(np.transpose(x, (0, 3, 1, 2))).data
    np.testing.assert_allclose(np.transpose(out_nchw, (0, 2, 3, 1)), out_nhwc, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nhwc.moving_variance.data, nchw.moving_variance.data)


def test_clear_errors():
    with pytest.raises(
        ValueError,
        match=r"input of shape \(4, 5\) has 5 channels on axis -1, but the layer was built with num_features=3",
    ):
        nn.BatchNorm(3)(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"axis 3 is out of range"):
        nn.BatchNorm(3, axis=3)(np.ones((4, 3)))
    with pytest.raises(ValueError, match="unknown convention 'tf'"):
        nn.BatchNorm(3, convention="tf")
    with pytest.raises(ValueError, match="fraction of the moving value kept"):
        nn.BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be positive"):
        nn.BatchNorm(3, eps=0)
    with pytest.raises(ValueError, match=r"batch axis and a channel axis, got shape \(3,\)"):
        nn.BatchNorm(3)(np.ones(3))


def test_state_dict_reloads_after_training_steps():
    bn = nn.BatchNorm(3)
    bn(np.random.default_rng(0).standard_normal((4, 3)))
    bn.load_state_dict(bn.state_dict())  # num_batches_tracked must still be an array after updates
    assert isinstance(bn.num_batches_tracked.data, np.ndarray) and bn.num_batches_tracked.data == 1


def test_float32_layer_stays_float32_everywhere():
    bn = nn.BatchNorm(3, dtype=np.float32)
    x = mg.tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    out = bn(x)
    out.backward(np.ones((4, 3), dtype=np.float32))
    assert out.dtype == grad_of(x).dtype == grad_of(bn.gamma).dtype == bn.moving_variance.dtype == np.float32


# ------------------------------------------------------------------------ gradients
layouts = st.sampled_from([((5, 3), -1), ((4, 2, 2, 3), -1), ((3, 3, 2, 2), 1), ((2, 3), -1)])


@given(layout=layouts, seed=seeds, training=st.booleans(), convention=st.sampled_from(["keras", "torch"]))
def test_gradcheck_in_both_modes(layout, seed, training, convention):
    shape, axis = layout
    rng = np.random.default_rng(seed)
    bn = nn.BatchNorm(3, axis=axis, convention=convention)
    bn.gamma.data[:] = rng.uniform(0.5, 2, 3)
    bn.beta.data[:] = rng.standard_normal(3)
    bn.moving_mean.data[:] = rng.standard_normal(3)
    bn.moving_variance.data[:] = rng.uniform(0.5, 2, 3)
    bn.train(training)
    before = bn.state_dict()
    report = mg.gradcheck(bn, [rng.standard_normal(shape) * 2 + 1])
    assert report, str(report)
    assert [r.label for r in report.rows] == ["input 0", "gamma", "beta"]
    for name, value in bn.state_dict().items():
        assert np.array_equal(value, before[name]), f"gradcheck leaked into {name}"


@given(layout=layouts, seed=seeds, eps=st.sampled_from([1e-7, 1e-5, 1e-3]))
def test_fused_layer_equals_the_same_layer_composed_from_primitive_ops(layout, seed, eps):
    shape, axis = layout
    rng = np.random.default_rng(seed)
    x_data, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    gamma_data, beta_data = rng.uniform(0.5, 2, 3), rng.standard_normal(3)

    bn = make_bn(3, gamma_data, beta_data, axis=axis, eps=eps)
    x1 = mg.tensor(x_data, requires_grad=True)
    fused = bn(x1)
    fused.backward(dout)
    assert fused.op == BatchNormTrain.name, "the layer is one fused op, not a chain of primitives"

    x2, g2, b2 = (mg.tensor(a, requires_grad=True) for a in (x_data, gamma_data, beta_data))
    composed = nn.functional.batch_norm_composed(x2, g2, b2, axis=axis, eps=eps)
    composed.backward(dout)
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_of(x1), grad_of(x2), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(grad_of(bn.gamma), grad_of(g2), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(grad_of(bn.beta), grad_of(b2), rtol=1e-12, atol=1e-12)


def test_single_value_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.BatchNorm(2)(np.ones((1, 2)))
    assert caught and caught[0].filename == __file__


def test_single_value_warning_points_at_the_caller_from_inside_a_container():
    model = nn.Sequential(nn.Dense(3, 2), nn.BatchNorm(2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model(np.ones((1, 3)))
    assert caught and caught[0].filename == __file__


def test_numpy_scalar_momentum_is_accepted():
    assert nn.BatchNorm(2, momentum=np.float32(0.5)).momentum == 0.5


@given(
    seed=seeds,
    shape=st.sampled_from([(2, 3), (5, 4), (3, 2, 2, 4), (2, 3, 2, 2)]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_batchnorm_sums_of_products_are_np_einsums_bits(seed, shape, dtype):
    # BatchNorm calls einsum's C function itself (NumPy's Python dispatch costs ~2 us a call):
    # the private function must be the very computation np.einsum does, bit for bit.
    from minigrad.ops import normalization

    rng = np.random.default_rng(seed)
    a, b = (rng.normal(size=shape).astype(dtype) for _ in range(2))
    for axes in [(0,), tuple(i for i in range(len(shape)) if i != len(shape) - 1), (0, 2, 3)[: len(shape) - 1]]:
        letters = "abcd"[: len(shape)]
        kept = "".join(c for i, c in enumerate(letters) if i not in axes)
        expected = np.einsum(f"{letters},{letters}->{kept}", a, b)
        got = normalization._sum_of_products(a, b, axes, keepdims=False)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@given(
    seed=seeds,
    shape=st.sampled_from([(2, 3), (7, 5), (4, 2, 3, 3)]),
    dtype=st.sampled_from([np.float32, np.float64]),
    eps=st.sampled_from([1e-5, 1e-3, 0.1]),
)
def test_batchnorm_train_forward_has_the_bits_of_python_number_arithmetic(seed, shape, dtype, eps):
    # The op divides by N and adds eps as 0-d arrays of the data's dtype, and takes 1 / sqrt by
    # np.reciprocal (cheaper at lesson sizes): the result must be what the plain formulas with
    # Python numbers give, bit for bit.
    rng = np.random.default_rng(seed)
    x = rng.normal(2.0, 3.0, size=shape).astype(dtype)
    channels = shape[-1]
    gamma, beta = (rng.normal(size=channels).astype(dtype) for _ in range(2))
    axes = tuple(range(len(shape) - 1))
    n = x.size // channels
    mean = np.add.reduce(x, axes, keepdims=True) / n
    centred = x - mean
    var = np.einsum(centred, list(range(len(shape))), centred, list(range(len(shape))), [len(shape) - 1]) / n
    expected = centred * (gamma * (1.0 / np.sqrt(var.reshape(mean.shape) + eps))) + beta
    stats: dict[str, np.ndarray] = {}
    got = BatchNormTrain.forward(Context(), x.copy(), gamma, beta, axes=axes, eps=eps, stats=stats)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(stats["mean"], mean)


def test_np_reciprocal_is_one_over_x_bit_for_bit():
    # What BatchNorm's forward relies on (NumPy computes it as a division, not an estimate).
    rng = np.random.default_rng(7)
    for dtype in (np.float16, np.float32, np.float64):
        x = (np.abs(rng.standard_cauchy(10_007)) + 1e-3).astype(dtype)
        np.testing.assert_array_equal(np.reciprocal(x).view(np.uint8), (1.0 / x).view(np.uint8))


def test_a_moving_statistic_made_integer_is_refused_not_zeroed():
    bn = nn.BatchNorm(2, convention="torch")
    bn.moving_mean.data = np.zeros(2, dtype=np.int64)
    with pytest.raises(TypeError, match="BatchNorm: 'moving_mean' must hold floats, got dtype int64"):
        bn(mg.tensor(np.array([[1.0, 2.0], [3.0, 5.0]])))
