"""mg.optim: SGD and Adam against hand-written recurrences, PyTorch and TensorFlow reference values."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float64_arrays

import minigrad as mg

# reference numbers generated from the real frameworks (tests/reference/generate_*.py), package data
from minigrad.reference import keras_values, torch_values

needs_nn = pytest.mark.skipif(not hasattr(mg.nn, "Dense"), reason="mg.nn.Dense not available yet")


def param(values, dtype=np.float64) -> mg.Tensor:
    return mg.tensor(np.array(values, dtype=dtype), requires_grad=True)


def run(opt: mg.optim.Optimizer, p: mg.Tensor, grads) -> np.ndarray:
    """Set each gradient directly on `p.grad`, step, and return the parameter after every step."""
    history = []
    for g in grads:
        p.grad = np.array(g, dtype=p.dtype)
        opt.step()
        history.append(p.data.copy())
    return np.array(history)


# ----------------------------------------------------------------------------- construction
class TestConstruction:
    def test_empty_params_is_value_error(self):
        with pytest.raises(ValueError, match="empty parameter list"):
            mg.optim.SGD([], lr=0.1)

    def test_non_tensor_is_type_error_naming_position(self):
        with pytest.raises(TypeError, match=r"parameter 2 is a ndarray"):
            mg.optim.Adam([param([1.0]), param([2.0]), np.zeros(3)])  # type: ignore[list-item]  # the wrong type is the test

    def test_named_parameters_pairs_get_a_hint(self):
        with pytest.raises(TypeError, match=r"parameter 0 is a tuple.*pass parameters\(\)"):
            mg.optim.SGD([("weight", param([1.0]))], lr=0.1)  # type: ignore[list-item]  # the wrong type is the test

    def test_single_tensor_is_type_error(self):
        with pytest.raises(TypeError, match=r"pass \[t\]"):
            mg.optim.SGD(param([1.0, 2.0]), lr=0.1)

    def test_dict_is_type_error(self):
        with pytest.raises(TypeError, match="parameters"):
            mg.optim.SGD({"w": param([1.0])}, lr=0.1)  # type: ignore[dict-item]  # the wrong type is the test

    def test_duplicate_tensor_is_value_error(self):
        p = param([1.0])
        with pytest.raises(ValueError, match="parameter 1 is the same tensor as parameter 0"):
            mg.optim.SGD([p, p], lr=0.1)

    def test_generator_is_accepted(self):
        ps = [param([1.0]), param([2.0])]
        opt = mg.optim.SGD((p for p in ps), lr=0.1)
        assert opt.params == ps

    @pytest.mark.parametrize("lr", [-0.1, float("nan"), float("inf"), "0.1", None, True])
    def test_bad_lr(self, lr):
        with pytest.raises(ValueError, match="lr"):
            mg.optim.SGD([param([1.0])], lr=lr)
        with pytest.raises(ValueError, match="lr"):
            mg.optim.Adam([param([1.0])], lr=lr)

    @pytest.mark.parametrize("momentum", [-0.1, 1.0, 1.5])
    def test_bad_momentum(self, momentum):
        with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\)"):
            mg.optim.SGD([param([1.0])], lr=0.1, momentum=momentum)

    @pytest.mark.parametrize(
        "betas, which",
        [
            ((1.0, 0.999), r"betas\[0\]"),
            ((0.9, 1.0), r"betas\[1\]"),
            ((-0.1, 0.999), r"betas\[0\]"),
            ((0.9, float("nan")), r"betas\[1\]"),
        ],
    )
    def test_betas_outside_unit_interval(self, betas, which):
        with pytest.raises(ValueError, match=which + r" must be in \[0.0, 1.0\)"):
            mg.optim.Adam([param([1.0])], betas=betas)

    def test_betas_not_a_pair(self):
        with pytest.raises(ValueError, match="pair"):
            mg.optim.Adam([param([1.0])], betas=(0.9,))  # type: ignore[arg-type]  # the wrong length is the test

    def test_negative_eps(self):
        with pytest.raises(ValueError, match="eps"):
            mg.optim.Adam([param([1.0])], eps=-1e-8)

    def test_unknown_convention(self):
        with pytest.raises(ValueError, match=r"unknown convention 'keras'.*'paper'.*'tf'"):
            mg.optim.Adam([param([1.0])], convention="keras")

    def test_defaults_and_repr(self):
        opt = mg.optim.Adam([param([1.0])])
        assert (opt.lr, opt.betas, opt.eps, opt.convention) == (1e-3, (0.9, 0.999), 1e-8, "paper")
        assert repr(opt) == "Adam(1 parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, convention='paper')"


# ----------------------------------------------------------------------------------- SGD
class TestSGD:
    def test_plain_step_is_p_minus_lr_g(self):
        p = param([1.0, -2.0, 0.5])
        run(mg.optim.SGD([p], lr=0.1), p, [[0.5, 1.0, -4.0]])
        np.testing.assert_allclose(p.data, [0.95, -2.1, 0.9], rtol=0, atol=1e-15)

    @given(
        data=float64_arrays(-10, 10),
        lr=st.floats(0, 1),
    )
    def test_plain_step_any_shape(self, data, lr):
        p = mg.tensor(data, requires_grad=True)
        g = np.cos(data)  # any gradient of the same shape
        p.grad = g
        mg.optim.SGD([p], lr=lr).step()
        np.testing.assert_allclose(p.data, data - lr * g, rtol=1e-15, atol=1e-15)

    def test_momentum_recurrence_three_steps(self):
        # buf_1 = g_1; buf_t = mu * buf_{t-1} + g_t; p -= lr * buf_t  (written out on scalars)
        lr, mu = 0.1, 0.9
        grads = [0.5, -1.0, 0.25]
        p_ref, buf = 2.0, None
        expected = []
        for g in grads:
            buf = g if buf is None else mu * buf + g
            p_ref = p_ref - lr * buf
            expected.append(p_ref)
        assert expected == pytest.approx([1.95, 2.005, 2.0295], abs=1e-12)  # by hand: buf = 0.5, -0.55, -0.245
        p = param([2.0])
        history = run(mg.optim.SGD([p], lr=lr, momentum=mu), p, [[g] for g in grads])
        np.testing.assert_allclose(history[:, 0], expected, rtol=1e-14)

    def test_momentum_buffer_is_a_copy_of_the_first_grad(self):
        p = param([0.0])
        opt = mg.optim.SGD([p], lr=1.0, momentum=0.5)
        p.grad = np.array([1.0])
        opt.step()  # buf = 1, p = -1
        p.grad[...] = 100.0  # mutating the grad in place must not reach the buffer
        p.grad = np.array([0.0])
        opt.step()  # buf = 0.5, p = -1.5
        np.testing.assert_allclose(p.data, [-1.5], rtol=1e-15)

    def test_lr_can_change_between_steps(self):
        p = param([1.0])
        opt = mg.optim.SGD([p], lr=0.1)
        p.grad = np.array([1.0])
        opt.step()
        opt.lr = 0.5
        opt.step()
        np.testing.assert_allclose(p.data, [1.0 - 0.1 - 0.5], rtol=1e-15)

    @pytest.mark.parametrize("tag, rtol", [("F32", 1e-6), ("F64", 1e-13)])
    def test_matches_torch_reference(self, tag, rtol):
        tv = torch_values
        p = mg.tensor(getattr(tv, f"SGD_P0_{tag}"), requires_grad=True)
        opt = mg.optim.SGD([p], lr=tv.SGD_LR, momentum=tv.SGD_MOMENTUM)
        history = run(opt, p, getattr(tv, f"SGD_GRADS_{tag}"))
        expected = getattr(tv, f"SGD_PARAMS_{tag}")
        assert history.dtype == expected.dtype
        np.testing.assert_allclose(history, expected, rtol=rtol, atol=rtol)


# ---------------------------------------------------------------------------------- Adam
def adam_reference(p0: float, grads, lr, b1, b2, eps, convention):
    """Adam on Python floats, written from the formulas (not from the code under test)."""
    p, m, v, out = p0, 0.0, 0.0, []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if convention == "paper":
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        else:
            lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
            p = p - lr_t * m / (math.sqrt(v) + eps)
        out.append(p)
    return out


class TestAdam:
    @pytest.mark.parametrize("convention", ["paper", "tf"])
    def test_recurrence_three_steps(self, convention):
        lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-3  # a large eps, so the two conventions differ visibly
        grads = [0.3, -0.05, 0.2]
        expected = adam_reference(1.0, grads, lr, b1, b2, eps, convention)
        p = param([1.0])
        history = run(
            mg.optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps, convention=convention), p, [[g] for g in grads]
        )
        np.testing.assert_allclose(history[:, 0], expected, rtol=1e-14)

    def test_the_two_conventions_differ_in_the_recurrence(self):
        args = (1.0, [0.3, -0.05, 0.2], 0.01, 0.8, 0.99, 1e-3)
        paper, tf = adam_reference(*args, "paper"), adam_reference(*args, "tf")
        assert abs(paper[-1] - tf[-1]) > 1e-5  # guards the test above against testing one form twice

    def test_first_step_closed_form(self):
        # t = 1: m_hat = g, v_hat = g**2, so p1 = p0 - lr * g / (|g| + eps): about lr * sign(g).
        lr, eps = 0.1, 1e-8
        g = np.array([2.0, -0.5, 1e-3])
        p = param([0.0, 0.0, 0.0])
        run(mg.optim.Adam([p], lr=lr, eps=eps), p, [g])
        np.testing.assert_allclose(p.data, -lr * g / (np.abs(g) + eps), rtol=1e-14)

    def test_tiny_gradients_show_the_eps_difference(self):
        # t = 1 with g = eps = 1e-8, b2 = 0.999:
        #   paper: lr * g / (|g| + eps)               = lr / 2
        #   tf:    lr * g / (|g| + eps / sqrt(1 - b2)) = lr / (1 + 1 / sqrt(0.001)) = lr / 32.62...
        lr = 1e-3
        steps = {}
        for convention in ("paper", "tf"):
            p = param([0.0])
            run(mg.optim.Adam([p], lr=lr, eps=1e-8, convention=convention), p, [[1e-8]])
            steps[convention] = -p.data[0]
        assert steps["paper"] == pytest.approx(lr / 2, rel=1e-12)
        assert steps["tf"] == pytest.approx(lr / (1 + 1 / math.sqrt(0.001)), rel=1e-12)

    def test_large_gradients_make_the_conventions_agree(self):
        # |g| ~ 1 >> eps: they differ only by about eps / (|g| * sqrt(1 - b2**t)) ~ 3e-7 relative.
        grads = [[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]]
        results = {}
        for convention in ("paper", "tf"):
            p = param([0.1, 0.2])
            results[convention] = run(mg.optim.Adam([p], lr=0.01, convention=convention), p, grads)
        np.testing.assert_allclose(results["paper"], results["tf"], rtol=1e-6)
        assert not np.array_equal(results["paper"], results["tf"])

    @given(
        g=float64_arrays(-1e3, 1e3),
        lr=st.floats(1e-4, 1.0),
    )
    def test_first_step_is_at_most_lr(self, g, lr):
        # |lr * g / (|g| + eps)| < lr for every gradient: Adam's step size is bounded by lr at t = 1.
        p = mg.tensor(np.zeros_like(g), requires_grad=True)
        p.grad = g
        mg.optim.Adam([p], lr=lr).step()
        assert np.all(np.abs(p.data) <= lr)
        np.testing.assert_array_equal(np.sign(p.data), -np.sign(g))

    @pytest.mark.parametrize("tag, rtol", [("F32", 1e-6), ("F64", 1e-13)])
    def test_paper_matches_torch_reference(self, tag, rtol):
        tv = torch_values
        p = mg.tensor(getattr(tv, f"ADAM_P0_{tag}"), requires_grad=True)
        opt = mg.optim.Adam([p], lr=tv.ADAM_LR, betas=(0.9, 0.999), eps=tv.ADAM_EPS)
        history = run(opt, p, getattr(tv, f"ADAM_GRADS_{tag}"))
        expected = getattr(tv, f"ADAM_PARAMS_{tag}")
        assert history.dtype == expected.dtype
        np.testing.assert_allclose(history, expected, rtol=rtol, atol=0)

    def test_tf_matches_exact_tf_form(self):
        kv = keras_values
        p = mg.tensor(kv.ADAM_P0_F64, requires_grad=True)
        history = run(mg.optim.Adam([p], lr=1e-3, eps=1e-8, convention="tf"), p, kv.ADAM_GRADS_F64)
        np.testing.assert_allclose(history, kv.ADAM_TF_FORM_EXACT_F64, rtol=1e-13, atol=0)

    @pytest.mark.parametrize("name", ["ADAM_KERAS_PARAMS", "ADAM_TF1_PARAMS"])
    def test_tf_matches_keras_and_tf1_float64(self, name):
        # Keras / TF1 round their hyper-parameters through float32 (see keras_values): compare the
        # parameter CHANGE with rtol 1e-5, as the reference file advises.
        kv = keras_values
        p0 = kv.ADAM_P0_F64
        p = mg.tensor(p0, requires_grad=True)
        history = run(mg.optim.Adam([p], lr=1e-3, eps=1e-8, convention="tf"), p, kv.ADAM_GRADS_F64)
        expected = getattr(kv, f"{name}_F64")
        np.testing.assert_allclose(history - p0, expected - p0, rtol=1e-5, atol=1e-9)

    @pytest.mark.parametrize("name", ["ADAM_KERAS_PARAMS", "ADAM_TF1_PARAMS"])
    def test_tf_matches_keras_and_tf1_float32(self, name):
        kv = keras_values
        p = mg.tensor(kv.ADAM_P0_F32, requires_grad=True)
        history = run(mg.optim.Adam([p], lr=1e-3, eps=1e-8, convention="tf"), p, kv.ADAM_GRADS_F32)
        expected = getattr(kv, f"{name}_F32")
        assert history.dtype == np.float32
        np.testing.assert_allclose(history, expected, rtol=0, atol=6e-8)  # one float32 ulp at 0.5

    def test_paper_form_does_not_match_keras(self):
        # Column 0 (|g| ~ 1e-4) agrees to ~0.3% (tf's effective eps is 31.6 * 1e-8 at t = 1);
        # column 2 (|g| ~ 1e-8, of the order of eps) is where the two forms part ways.
        kv = keras_values
        p0 = kv.ADAM_P0_F64
        p = mg.tensor(p0, requires_grad=True)
        history = run(mg.optim.Adam([p], lr=1e-3, eps=1e-8, convention="paper"), p, kv.ADAM_GRADS_F64)
        change, keras_change = history - p0, kv.ADAM_KERAS_PARAMS_F64 - p0
        np.testing.assert_allclose(change[:, 0], keras_change[:, 0], rtol=5e-3)
        assert abs(change[0, 2]) > 10 * abs(keras_change[0, 2])  # first step: 11x larger
        assert np.all(np.abs(change[:, 2] - keras_change[:, 2]) > 1e-4)  # vs 1e-9 for the 'tf' form


# ------------------------------------------------------------------------- shared behaviour
OPTIMISERS = {
    "sgd": lambda ps: mg.optim.SGD(ps, lr=0.1),
    "sgd-momentum": lambda ps: mg.optim.SGD(ps, lr=0.1, momentum=0.9),
    "adam": lambda ps: mg.optim.Adam(ps, lr=0.1),
    "adam-tf": lambda ps: mg.optim.Adam(ps, lr=0.1, convention="tf"),
}


@pytest.mark.parametrize("make", OPTIMISERS.values(), ids=OPTIMISERS.keys())
class TestCommon:
    def test_frozen_and_gradless_params_are_skipped(self, make):
        live, frozen, gradless = param([1.0, 2.0]), param([3.0, 4.0]), param([5.0])
        frozen.requires_grad = False
        frozen.grad = np.array([1.0, 1.0])  # a stale gradient must not move a frozen tensor
        opt = make([live, frozen, gradless])
        live.grad = np.array([1.0, -1.0])
        opt.step()
        opt.step()
        np.testing.assert_array_equal(frozen.data, [3.0, 4.0])
        np.testing.assert_array_equal(gradless.data, [5.0])
        assert opt.state[1] == {} and opt.state[2] == {}  # no moments, no step count
        assert np.all(live.data != [1.0, 2.0])

    def test_zero_grad_clears_every_grad(self, make):
        ps = [param([1.0]), param([2.0])]
        ps[1].requires_grad = False
        for p in ps:
            p.grad = np.array([1.0])
        make(ps).zero_grad()
        assert all(p.grad is None for p in ps)

    def test_float32_stays_float32(self, make):
        p = param(np.linspace(-1, 1, 6).reshape(2, 3), dtype=np.float32)
        opt = make([p])
        p.grad = np.full((2, 3), 0.3, dtype=np.float32)
        opt.step()
        p.grad = np.full((2, 3), 0.1, dtype=np.float64)  # even a float64 grad does not promote it
        opt.step()
        assert p.data.dtype == np.float32
        assert all(a.dtype == np.float32 for a in opt.state_dict().values() if a.ndim)

    def test_updates_the_live_array_in_place(self, make):
        p = param([1.0, 2.0])
        array = p.data
        p.grad = np.array([1.0, 1.0])
        make([p]).step()
        assert p.data is array
        assert np.all(array < [1.0, 2.0])

    def test_step_allocates_no_parameter_sized_temporaries(self, make):
        ps = [param(np.ones((300, 200))), param(np.ones(1000))]
        for p in ps:
            p.grad = np.full(p.shape, 0.5)
        opt = make(ps)
        opt.step()  # first step: moment buffers and the scratch array are allocated here
        tracemalloc.start()
        try:
            opt.step()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < ps[0].data.nbytes // 20  # 480 kB parameter; a single temporary would exceed this

    def test_grad_shape_mismatch_is_a_clear_error(self, make):
        p = param(np.zeros((2, 3)))
        p.grad = np.zeros((3, 2))
        with pytest.raises(ValueError, match=r"parameter 0 .* shape \(2, 3\) but its grad has shape \(3, 2\)"):
            make([p]).step()

    def test_minimises_a_quadratic_through_autograd(self, make):
        target = np.array([1.0, -2.0, 0.5])
        p = param([0.0, 0.0, 0.0])
        opt = make([p])
        for _ in range(300):
            opt.zero_grad()
            loss = ((p - target) ** 2).sum()
            loss.backward()
            opt.step()
        np.testing.assert_allclose(p.data, target, atol=0.05)

    def test_state_dict_round_trip_through_a_checkpoint(self, make, tmp_path):
        rng = np.random.default_rng(0)
        grads = rng.normal(size=(6, 2, 3))
        p1 = param(rng.normal(size=(2, 3)))
        opt1 = make([p1])
        run(opt1, p1, grads[:3])
        mg.save(opt1.state_dict(), tmp_path / "opt.npz")
        p2 = param(p1.data.copy())
        opt2 = make([p2])
        opt2.load_state_dict(mg.load(tmp_path / "opt.npz"))
        np.testing.assert_array_equal(run(opt1, p1, grads[3:]), run(opt2, p2, grads[3:]))


@needs_nn
def test_frozen_module_is_left_alone():
    mg.manual_seed(0)
    layer = mg.nn.Dense(3, 2)
    before = [p.data.copy() for p in layer.parameters()]
    opt = mg.optim.Adam(layer.parameters(), lr=0.1)
    layer.trainable = False
    for p in layer.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    for p, b in zip(layer.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


@needs_nn
@pytest.mark.parametrize(
    "make",
    [lambda ps: mg.optim.SGD(ps, lr=0.05, momentum=0.9), lambda ps: mg.optim.Adam(ps, lr=0.01)],
    ids=["sgd", "adam"],
)
def test_trains_a_model(make):
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    model = mg.nn.Sequential(mg.nn.Dense(3, 8), mg.nn.ReLU(), mg.nn.Dense(8, 1))
    opt = make(model.parameters())
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = mg.nn.mse_loss(model(mg.tensor(x)), mg.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


def test_adam_step_count_is_per_parameter():
    # b never gets a gradient in steps 1-2, so its step 3 is its own first step: |change| ~ lr.
    a, b = param([0.0]), param([0.0])
    opt = mg.optim.Adam([a, b], lr=0.1)
    for g in (1.0, 1.0):
        a.grad = np.array([g])
        opt.step()
    b.grad = np.array([1.0])
    opt.step()
    assert b.data[0] == pytest.approx(-0.1, rel=1e-6)
    assert opt.state_dict()["0.step"] == 3 and opt.state_dict()["1.step"] == 1


class TestOptimizerStateDict:
    def test_keys_and_copies(self):
        p = param([1.0, 2.0])
        opt = mg.optim.Adam([p, param([0.0])])
        p.grad = np.array([1.0, 1.0])
        opt.step()
        sd = opt.state_dict()
        assert set(sd) == {"0.step", "0.m", "0.v"}
        assert sd["0.step"].dtype == np.int64 and sd["0.step"].shape == ()
        sd["0.m"][...] = 99.0
        assert np.all(opt.state[0]["m"] != 99.0)

    def test_bad_state_is_rejected_and_nothing_changes(self):
        p = param([1.0, 2.0])
        opt = mg.optim.Adam([p])
        p.grad = np.array([1.0, 1.0])
        opt.step()
        before = opt.state_dict()
        bad = {"0.m": np.zeros(3), "0.step": np.array(1), "5.m": np.zeros(2), "0.velocity": np.zeros(2)}
        with pytest.raises(ValueError) as info:
            opt.load_state_dict(bad)
        message = str(info.value)
        assert "'0.m' has shape (3,) but parameter 0 has shape (2,)" in message
        assert "unexpected key '5.m'" in message and "unexpected key '0.velocity'" in message
        assert "missing '0.m', '0.v'" in message
        after = opt.state_dict()
        assert set(after) == set(before) and all(np.array_equal(after[k], before[k]) for k in before)

    def test_negative_step_count_is_rejected(self):
        opt = mg.optim.Adam([param([1.0])])
        with pytest.raises(ValueError, match="'0.step' must be a non-negative integer"):
            opt.load_state_dict({"0.step": np.array(-1), "0.m": np.zeros(1), "0.v": np.zeros(1)})


# ------------------------------------------------------------------------- live PyTorch parity
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-6), (np.float64, 1e-12)])
@pytest.mark.parametrize("kind", ["adam", "sgd-momentum"])
def test_live_against_torch(kind, dtype, rtol):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    shapes = [(4, 3), (3,), ()]
    init = [rng.normal(size=s).astype(dtype) for s in shapes]
    grads = [[rng.normal(scale=10.0 ** rng.integers(-6, 1), size=s).astype(dtype) for s in shapes] for _ in range(5)]
    ours = [mg.tensor(a, requires_grad=True) for a in init]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt: mg.optim.Optimizer
    if kind == "adam":
        opt, topt = mg.optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    else:
        opt, topt = mg.optim.SGD(ours, lr=0.05, momentum=0.9), torch.optim.SGD(theirs, lr=0.05, momentum=0.9)
    for step_grads in grads:
        for p, tp, g in zip(ours, theirs, step_grads):
            p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs):
        assert p.data.dtype == dtype
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=rtol, atol=rtol * 1e-3)


# ------------------------------------------------- Adam's fast paths against its readable form
SHAPES = [(3, 4), (4,), (1,), (), (2, 3, 2)]  # small enough for the multi-tensor path


def _adam_paths_vs_reference(shapes, dtype, convention, steps=4, reload_at=None):
    rng = np.random.default_rng(0)
    params = [mg.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    ref = [p.data.copy() for p in params]
    moments = [(np.zeros_like(r), np.zeros_like(r)) for r in ref]
    opt = mg.optim.Adam(params, lr=0.05, betas=(0.8, 0.99), eps=1e-6, convention=convention)
    for t in range(1, steps + 1):
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g.copy()
        if t == reload_at:  # the flat multi-tensor buffers must follow a reloaded state
            opt.load_state_dict(opt.state_dict())
        opt.step()
        for r, (m, v), g in zip(ref, moments, grads):
            mg.optim.adam.adam_reference(r, g, m, v, t, 0.05, (0.8, 0.99), 1e-6, convention)
    return params, ref, opt, moments


@pytest.mark.parametrize("convention", ["paper", "tf"])
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-5), (np.float64, 1e-12)])
@pytest.mark.parametrize("reload_at", [None, 3])
def test_adam_multi_tensor_path_matches_the_readable_form(convention, dtype, rtol, reload_at):
    params, ref, opt, moments = _adam_paths_vs_reference(SHAPES, dtype, convention, reload_at=reload_at)
    for i, (p, r, (m, v)) in enumerate(zip(params, ref, moments)):
        assert p.data.dtype == dtype
        np.testing.assert_allclose(p.data, r, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(opt.state[i]["m"], m, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(opt.state[i]["v"], v, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("convention", ["paper", "tf"])
def test_adam_single_tensor_path_matches_the_readable_form(convention):
    big = (mg.optim.adam.FOREACH_MAX_SIZE + 1,)  # above the multi-tensor size: one by one
    params, ref, _, _ = _adam_paths_vs_reference([big, (3,)], np.float64, convention)
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p.data, r, rtol=1e-12, atol=1e-12)


def test_adam_multi_tensor_path_keeps_each_parameter_array():
    params = [param([1.0, 2.0]), param([3.0])]
    arrays = [p.data for p in params]
    opt = mg.optim.Adam(params, lr=0.1)
    for _ in range(2):
        for p in params:
            p.grad = np.ones_like(p.data)
        opt.step()
    assert all(p.data is a for p, a in zip(params, arrays))  # updated in place, identity kept
    assert arrays[0][0] < 1.0 and arrays[1][0] < 3.0  # and they moved (positive gradient: down)
