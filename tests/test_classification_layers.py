"""tanh, sigmoid, softmax, log_softmax, cross_entropy, Dropout and LayerNorm: forward against NumPy
written out here, gradients against central differences in float64 with hypothesis shapes, the
stability of the max shift at logits of +-1000, and every validation error."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import grad_of
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds, shapes, shapes_and_axes

import minigrad as mg
from minigrad import nn, ops
from minigrad.nn import functional as F

small = shapes(min_dims=1, max_side=4)


def assert_gradcheck(fn, inputs) -> None:
    report = mg.gradcheck(fn, inputs)
    assert report.passed, str(report)


# ------------------------------------------------------------------------- element-wise
@given(shape=small, seed=seeds)
def test_tanh_and_sigmoid_forward_and_gradient(shape, seed):
    x = np.random.default_rng(seed).normal(0, 3, size=shape)
    np.testing.assert_allclose(mg.tensor(x).tanh().data, np.tanh(x), rtol=1e-15)
    np.testing.assert_allclose(mg.tensor(x).sigmoid().data, 1 / (1 + np.exp(-x)), rtol=1e-14)
    assert_gradcheck(lambda t: t.tanh(), [x])
    assert_gradcheck(lambda t: t.sigmoid(), [x])


def test_tanh_and_sigmoid_local_derivatives_match_their_docstrings(rng):
    x = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    x.tanh().sum().backward()
    np.testing.assert_allclose(grad_of(x), 1 - np.tanh(x.data) ** 2, rtol=1e-14)
    x.grad = None
    x.sigmoid().sum().backward()
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(grad_of(x), s * (1 - s), rtol=1e-14)


def test_sigmoid_does_not_overflow_at_extreme_inputs():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = mg.tensor(x).sigmoid().data
    np.testing.assert_allclose(y, [0.0, 1 / (1 + np.exp(40.0)), 0.5, 1 / (1 + np.exp(-40.0)), 1.0], rtol=1e-15)
    assert np.tanh(1000.0) == mg.tensor([1000.0]).tanh().item()


@pytest.mark.parametrize("method", ["tanh", "sigmoid", "softmax", "log_softmax"])
def test_float32_stays_float32(method):
    x = mg.tensor(np.array([[0.5, -1.0, 2.0]], dtype=np.float32), requires_grad=True)
    y = getattr(x, method)()
    assert y.dtype == np.float32
    y.backward(np.ones_like(y.data))
    assert grad_of(x).dtype == np.float32


def test_modules_tanh_and_sigmoid(rng):
    x = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(nn.Tanh()(mg.tensor(x)).data, mg.tensor(x).tanh().data)
    np.testing.assert_array_equal(nn.Sigmoid()(mg.tensor(x)).data, mg.tensor(x).sigmoid().data)
    assert list(nn.Tanh().parameters()) == [] and list(nn.Sigmoid().parameters()) == []


# ------------------------------------------------------------------------------ softmax
@given(sa=shapes_and_axes(), seed=seeds)
def test_softmax_and_log_softmax_forward_and_gradient(sa, seed):
    shape, axis = sa
    x = np.random.default_rng(seed).normal(0, 2, size=shape)
    e = np.exp(x)
    expected = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(mg.tensor(x).softmax(axis=axis).data, expected, rtol=1e-13)
    np.testing.assert_allclose(mg.tensor(x).log_softmax(axis=axis).data, np.log(expected), rtol=1e-12, atol=1e-14)
    assert_gradcheck(lambda t: t.softmax(axis=axis), [x])
    assert_gradcheck(lambda t: t.log_softmax(axis=axis), [x])


def test_softmax_local_derivative_is_the_jacobian_in_its_docstring(rng):
    x = mg.tensor(rng.standard_normal(4), requires_grad=True)
    y = x.softmax()
    u = rng.standard_normal(4)
    y.backward(u)
    s = y.data
    jacobian = np.diag(s) - np.outer(s, s)  # dy_i/dx_k = y_i (delta_ik - y_k)
    np.testing.assert_allclose(grad_of(x), jacobian.T @ u, rtol=1e-13)


def test_softmax_and_log_softmax_are_stable_for_logits_of_plus_minus_1000():
    x = mg.tensor([[1000.0, -1000.0, 999.0], [-1000.0, -1000.0, -1001.0]], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        logp = x.log_softmax()
        p = x.softmax()
    log_norm = np.log1p(np.exp(-1.0))  # log(e^0 + e^-1) after the shift by the row maximum
    np.testing.assert_allclose(logp.data[0], [-log_norm, -2000.0 - log_norm, -1.0 - log_norm], rtol=1e-15)
    np.testing.assert_allclose(np.exp(logp.data), p.data, rtol=1e-15)
    np.testing.assert_allclose(p.data.sum(axis=1), 1.0, rtol=1e-15)
    logp.backward(np.ones((2, 3)))
    assert np.isfinite(grad_of(x)).all()
    np.testing.assert_allclose(grad_of(x).sum(axis=1), [-0.0, -0.0], atol=1e-12)  # d(sum logp)/dx = 1 - 3 p


@pytest.mark.parametrize("method", ["softmax", "log_softmax"])
def test_softmax_errors_name_the_op_and_shape(method):
    x = mg.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{method}: axis 2 is out of range for shape \(2, 3\)"):
        getattr(x, method)(axis=2)
    with pytest.raises(TypeError, match=rf"{method}: axis must be an int"):
        getattr(x, method)(axis=(0, 1))
    with pytest.raises(ValueError, match=rf"{method}: cannot normalise over the empty axis 1 of shape \(2, 0\)"):
        getattr(mg.tensor(np.zeros((2, 0))), method)(axis=1)
    with pytest.raises(ValueError, match=rf"{method}: needs at least one axis.*\(\)"):
        getattr(mg.tensor(1.0), method)()


# ------------------------------------------------------------------------ cross-entropy
@st.composite
def logits_and_labels(draw):
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(seeds))
    return rng.normal(0, 2, size=(n, c)), rng.integers(0, c, size=n)


@given(case=logits_and_labels())
def test_cross_entropy_forward_and_gradient(case):
    z, t = case
    n = len(t)
    logp = z - z.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    expected = -logp[np.arange(n), t].mean()
    np.testing.assert_allclose(nn.cross_entropy(mg.tensor(z), t).item(), expected, rtol=1e-13)
    np.testing.assert_allclose(F.cross_entropy_composed(mg.tensor(z), t).item(), expected, rtol=1e-13)
    assert_gradcheck(lambda logits: nn.cross_entropy(logits, t), [z])
    # the closed form in the op's docstring
    leaf = mg.tensor(z, requires_grad=True)
    nn.CrossEntropyLoss()(leaf, t).backward()
    onehot = np.eye(z.shape[1])[t]
    np.testing.assert_allclose(grad_of(leaf), (np.exp(logp) - onehot) / n, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_one_fused_node_and_accepts_lists_and_integer_tensors(rng):
    z = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    loss = nn.cross_entropy(z, [0, 3, 1])
    assert loss.op == "cross_entropy" and loss._node is not None and loss._node.inputs == (z,)
    same = nn.cross_entropy(z, mg.tensor(np.array([0, 3, 1])))
    assert same.item() == loss.item()
    assert nn.cross_entropy(z, np.array([0, 3, 1], dtype=np.uint8)).item() == loss.item()


def test_cross_entropy_is_stable_for_logits_of_plus_minus_1000():
    z = mg.tensor([[1000.0, -1000.0], [-1000.0, 1000.0], [0.0, 1000.0]], requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = nn.cross_entropy(z, [0, 0, 1])
        loss.backward()
    np.testing.assert_allclose(loss.item(), 2000.0 / 3, rtol=1e-15)  # only the wrong row costs 2000
    np.testing.assert_allclose(grad_of(z), [[0.0, 0.0], [-1 / 3, 1 / 3], [0.0, 0.0]], atol=1e-15)


def test_cross_entropy_keeps_float32(rng):
    z = mg.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    loss = nn.cross_entropy(z, [2, 0])
    loss.backward()
    assert loss.dtype == np.float32 and grad_of(z).dtype == np.float32


@pytest.mark.parametrize(
    ("logits_shape", "labels", "error", "message"),
    [
        ((3, 4), np.array([0.0, 1.0, 2.0]), TypeError, r"labels must be integer class indices, got float64"),
        ((3, 4), np.array([True, False, True]), TypeError, r"labels must be integer class indices, got bool"),
        (
            (3, 4),
            np.array([0, 1]),
            ValueError,
            r"labels must have shape \(3,\) for logits of shape \(3, 4\), got \(2,\)",
        ),
        ((3, 4), np.array([[0], [1], [2]]), ValueError, r"labels must have shape \(3,\).*got \(3, 1\)"),
        ((3, 4), np.array([0, 4, 1]), ValueError, r"label 4 at position 1 is not a class index in \[0, 4\)"),
        ((3, 4), np.array([0, 1, -1]), ValueError, r"label -1 at position 2 is not a class index in \[0, 4\)"),
        ((4,), np.array([0, 1, 2, 3]), ValueError, r"logits must have shape \(N, C\), got \(4,\)"),
        ((0, 4), [], ValueError, r"cannot average over logits of shape \(0, 4\)"),
    ],
)
def test_cross_entropy_refuses_bad_labels_with_clear_errors(logits_shape, labels, error, message):
    with pytest.raises(error, match="cross_entropy: " + message):
        nn.cross_entropy(mg.tensor(np.zeros(logits_shape)), labels)


def test_cross_entropy_refuses_integer_logits():
    with pytest.raises(TypeError, match="cross_entropy: logits must be floating-point, got dtype int64"):
        nn.cross_entropy(mg.tensor(np.zeros((2, 3), dtype=np.int64)), [0, 1])


# ------------------------------------------------------------------------------ Dropout
@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_refuses_p_outside_zero_one(p):
    with pytest.raises(ValueError, match=r"Dropout: p is the probability of dropping an element, in \[0, 1\)"):
        nn.Dropout(p)


@pytest.mark.parametrize("p", ["0.5", True, None])
def test_dropout_refuses_p_that_is_not_a_number(p):
    with pytest.raises(TypeError, match="Dropout: p must be a number"):
        nn.Dropout(p)


def test_dropout_trains_with_an_inverted_mask_and_is_the_identity_in_eval(rng):
    x = mg.tensor(rng.uniform(1, 2, size=(200, 50)), requires_grad=True)
    layer = nn.Dropout(0.3)
    y = layer(x)
    dropped = y.data == 0
    assert 0.27 < dropped.mean() < 0.33
    np.testing.assert_allclose(y.data[~dropped], x.data[~dropped] / 0.7, rtol=1e-15)
    y.backward(np.ones(x.shape))
    np.testing.assert_allclose(grad_of(x), np.where(dropped, 0.0, 1 / 0.7), rtol=1e-15)  # dy/dx = mask
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x.data)
    assert nn.Dropout(0.0)(x) is x


def test_dropout_draws_a_fresh_mask_each_forward_that_follows_manual_seed():
    x = mg.tensor(np.ones((4, 8)))
    layer = nn.Dropout(0.5)
    mg.manual_seed(7)
    first, second = layer(x).data, layer(x).data
    assert not np.array_equal(first, second)
    mg.manual_seed(7)
    np.testing.assert_array_equal(layer(x).data, first)
    np.testing.assert_array_equal(layer(x).data, second)


def test_dropout_ignores_trainable_as_pytorch_and_keras_do():
    layer = nn.Dropout(0.5)
    layer.trainable = False
    mg.manual_seed(0)
    assert (layer(mg.tensor(np.ones((10, 10)))).data == 0).any()


@given(shape=small, seed=seeds)
def test_dropout_op_gradient_with_a_fixed_mask(shape, seed):
    rng = np.random.default_rng(seed)
    mask = (rng.random(shape) >= 0.4) / 0.6
    assert_gradcheck(lambda t: mg.apply(ops.Dropout, t, mask=mask), [rng.standard_normal(shape)])


def test_dropout_keeps_float32():
    y = nn.Dropout(0.5)(mg.tensor(np.ones((3, 3), dtype=np.float32)))
    assert y.dtype == np.float32


# ---------------------------------------------------------------------------- LayerNorm
@st.composite
def layer_norm_case(draw):
    shape = draw(small)
    shape = (*shape[:-1], draw(st.integers(2, 5)))
    rng = np.random.default_rng(draw(seeds))
    d = shape[-1]
    return rng.normal(1, 2, size=shape), rng.uniform(0.5, 1.5, size=d), rng.normal(0, 1, size=d)


@given(case=layer_norm_case())
def test_layer_norm_forward_and_gradient_against_the_composed_layer(case):
    x, gamma, beta = case
    layer = nn.LayerNorm(x.shape[-1], dtype=np.float64)
    layer.gamma.data[...], layer.beta.data[...] = gamma, beta
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    expected = gamma * (x - mean) / np.sqrt(var + 1e-5) + beta
    np.testing.assert_allclose(layer(mg.tensor(x)).data, expected, rtol=1e-12, atol=1e-12)
    assert_gradcheck(layer, [x])  # x, gamma and beta
    assert_gradcheck(lambda *t: mg.apply(ops.LayerNorm, *t, eps=1e-5), [x, gamma, beta])
    # the fused backward equals autograd through the composed chain
    leaves = [mg.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    fused = [mg.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    u = np.random.default_rng(0).standard_normal(x.shape)
    F.layer_norm_composed(leaves[0], leaves[1], leaves[2]).backward(u)
    mg.apply(ops.LayerNorm, *fused, eps=1e-5).backward(u)
    for a, b in zip(leaves, fused):
        np.testing.assert_allclose(grad_of(b), grad_of(a), rtol=1e-9, atol=1e-12)


def test_layer_norm_is_the_same_in_both_modes_and_keeps_no_statistics(rng):
    layer = nn.LayerNorm(4)
    x = mg.tensor(rng.normal(3, 2, size=(5, 4)))
    train_out = layer(x).data
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, train_out)
    assert list(layer.buffers()) == []
    assert [n for n, _ in layer.named_parameters()] == ["gamma", "beta"]
    np.testing.assert_allclose(train_out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(train_out.var(axis=1), 1, rtol=1e-4)  # eps=1e-5 shrinks it a little
    # one sample alone is normalised exactly as inside the batch: no batch statistics
    np.testing.assert_allclose(layer(x[1:2]).data, train_out[1:2], rtol=1e-15)


def test_layer_norm_dtype_and_errors():
    assert nn.LayerNorm(3, dtype=np.float32).gamma.dtype == np.float32
    with pytest.raises(ValueError, match=r"LayerNorm: input of shape \(2, 5\) does not end in num_features=3"):
        nn.LayerNorm(3)(mg.tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match="LayerNorm: num_features must be a positive int, got 0"):
        nn.LayerNorm(0)
    with pytest.raises(TypeError, match="LayerNorm: eps must be a number"):
        nn.LayerNorm(3, eps="1e-5")  # type: ignore[arg-type]  # the wrong type is the test
    with pytest.raises(ValueError, match="LayerNorm: eps must be positive"):
        nn.LayerNorm(3, eps=0.0)


def test_new_layers_compose_into_a_classifier_that_learns(rng):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Dense(2, 8), nn.LayerNorm(8), nn.Tanh(), nn.Dropout(0.1), nn.Dense(8, 2))
    x = rng.standard_normal((64, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    opt = mg.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = nn.cross_entropy(model(mg.tensor(x)), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
