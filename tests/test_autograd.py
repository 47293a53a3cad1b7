"""Our autograd against torch.autograd (random expressions and shapes) and finite differences."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlpcourse.autograd import MLP, SGD, Tensor, Value, cross_entropy, gradcheck, numerical_grad, unbroadcast

torch = pytest.importorskip("torch")

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
positive = st.floats(0.1, 3, allow_nan=False, allow_infinity=False)

# unary operations: (ours, torch's)
UNARY = {
    "exp": (lambda v: v.tanh().exp(), lambda t: t.tanh().exp()),   # bounded input: nested exps cannot overflow
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "relu": (lambda v: v.relu(), torch.relu),
    "square": (lambda v: v ** 2, lambda t: t ** 2),
    "neg": (lambda v: -v, lambda t: -t),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "max": (lambda a, b: a.max(b), torch.maximum),
}


@st.composite
def expressions(draw):
    """A random sequence of operations applied to three inputs."""
    steps = draw(st.lists(st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)),
                                    st.integers(0, 10), st.integers(0, 10)), min_size=1, max_size=8))
    return steps


def _evaluate(steps, inputs, ours: bool):
    nodes = list(inputs)
    for name, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if name in UNARY:
            nodes.append(UNARY[name][0 if ours else 1](a))
        else:
            nodes.append(BINARY[name][0 if ours else 1](a, b))
    out = nodes[len(inputs)]
    for node in nodes[len(inputs) + 1:]:  # sum every intermediate, so every node matters
        out = out + node
    return out


@settings(max_examples=150, deadline=None)
@given(steps=expressions(), x=st.lists(finite, min_size=3, max_size=3))
def test_value_gradients_equal_torch(steps, x):
    ours = [Value(v) for v in x]
    out = _evaluate(steps, ours, ours=True)
    out.backward()
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in x]
    ref = _evaluate(steps, theirs, ours=False)
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-9, abs=1e-9)
    for v, t in zip(ours, theirs):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(a=positive, b=finite, n=st.sampled_from([-1.0, 0.5, 2.0, 3.0]))
def test_value_log_div_pow_equal_torch(a, b, n):
    x, y = Value(a), Value(b)
    out = (x.log() * y + x ** n / (1 + y.sigmoid())).tanh()
    out.backward()
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
    ref = (tx.log() * ty + tx ** n / (1 + ty.sigmoid())).tanh()
    ref.backward()
    assert (x.grad, y.grad) == pytest.approx((tx.grad.item(), ty.grad.item()), rel=1e-9, abs=1e-12)


def test_value_max_routes_the_gradient_and_reuse_accumulates():
    a, b = Value(2.0), Value(5.0)
    out = a.max(b) * a        # max picks b; a is used twice
    out.backward()
    assert (a.grad, b.grad) == (5.0, 2.0)
    with pytest.raises(ValueError, match="> 0"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="combine"):
        Value(1.0) + "2"
    with pytest.raises(OverflowError, match="too large"):
        Value(1000.0).exp()


broadcast_shapes = st.sampled_from([((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 4), (1, 4)), ((2, 3, 4), (3, 1)),
                                    ((3, 1), (1, 4)), ((5,), ()), ((2, 3), (2, 3))])


@settings(max_examples=60, deadline=None)
@given(shapes=broadcast_shapes, seed=st.integers(0, 10_000), op=st.sampled_from(["add", "mul", "sub", "div"]))
def test_tensor_broadcasting_gradients_equal_torch(shapes, seed, op):
    rng = np.random.default_rng(seed)
    a_np, b_np = rng.normal(size=shapes[0]), rng.uniform(0.5, 2, size=shapes[1])
    f = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
         "div": lambda a, b: a / b}[op]
    a, b = Tensor(a_np), Tensor(b_np)
    (f(a, b).tanh() * f(a, b)).sum().backward()
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np))
    (f(ta, tb).tanh() * f(ta, tb)).sum().backward()
    assert a.grad.shape == a_np.shape and b.grad.shape == b_np.shape
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=st.sampled_from([(3,), (2, 3), (2, 1)]), seed=st.integers(0, 10_000))
def test_tensor_reflected_ops_and_sigmoid_equal_torch(shape, seed):
    rng = np.random.default_rng(seed)
    x_np, other = rng.normal(size=shape), rng.uniform(0.5, 2, size=shape[-1:])
    x = Tensor(x_np)
    out = (other / x.sigmoid() + other * x + other - x + 2.0 / (1.0 + x * x)).sum()
    out.backward()
    tx, t_other = torch.tensor(x_np, requires_grad=True), torch.as_tensor(other)
    ref = (t_other / tx.sigmoid() + t_other * tx + t_other - tx + 2.0 / (1.0 + tx * tx)).sum()
    ref.backward()
    assert float(out.data) == pytest.approx(ref.item(), rel=1e-10)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_numpy_array_on_the_left_defers_to_the_tensor():
    a, x = np.array([2.0, 4.0]), Tensor([1.0, 2.0])
    for result in (a * x, a + x, a - x, a / x, np.float64(2.0) / x):
        assert isinstance(result, Tensor)
    np.testing.assert_allclose((a / x).data, [2.0, 2.0])
    m_np, w_np = np.arange(6.0).reshape(3, 2), np.array([[1.0, -1.0], [0.5, 2.0]])
    w, tw = Tensor(w_np), torch.tensor(w_np, requires_grad=True)
    (m_np @ w).tanh().sum().backward()
    (torch.as_tensor(m_np) @ tw).tanh().sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.sigmoid().data, 1 / (1 + np.exp([-1.0, -2.0])))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 5), h=st.integers(1, 5), c=st.integers(2, 4),
       seed=st.integers(0, 10_000))
def test_tensor_mlp_with_cross_entropy_equals_torch(n, d, h, c, seed):
    rng = np.random.default_rng(seed)
    x_np, w1_np, b1_np, w2_np = rng.normal(size=(n, d)), rng.normal(size=(d, h)), rng.normal(size=h), rng.normal(size=(h, c))
    y = rng.integers(0, c, size=n)
    x, w1, b1, w2 = (Tensor(v) for v in (x_np, w1_np, b1_np, w2_np))
    hidden = (x @ w1 + b1).relu()
    loss = cross_entropy(hidden @ w2, y) + (w1 * w1).mean() + hidden.mean(axis=0).sum() + x.exp().sum(axis=1).log().mean()
    loss.backward()
    tx, tw1, tb1, tw2 = (torch.tensor(v, requires_grad=True) for v in (x_np, w1_np, b1_np, w2_np))
    th = (tx @ tw1 + tb1).relu()
    ref = (torch.nn.functional.cross_entropy(th @ tw2, torch.as_tensor(y)) + (tw1 * tw1).mean()
           + th.mean(dim=0).sum() + tx.exp().sum(dim=1).log().mean())
    ref.backward()
    assert float(loss.data) == pytest.approx(ref.item(), rel=1e-10)
    for ours, theirs in [(x, tx), (w1, tw1), (b1, tb1), (w2, tw2)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_finite_differences_agree_and_catch_a_wrong_gradient():
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    assert gradcheck(lambda a, b, c: cross_entropy((a @ b + c).tanh() * 3, np.array([0, 1, 1, 0])), inputs) < 1e-7
    assert numerical_grad(lambda v: float(np.sum(v ** 3)), np.array([1.0, -2.0])) == pytest.approx([3.0, 12.0])

    with pytest.raises(AssertionError, match="differ"):
        gradcheck(_tanh_with_a_wrong_backward, [inputs[0]])


def _tanh_with_a_wrong_backward(a: Tensor) -> Tensor:
    """sum(tanh(a)) whose backward forgets the derivative of tanh (passes the gradient through)."""
    out = Tensor(np.tanh(a.data), (a,), "tanh")

    def _backward():
        a.grad += out.grad
    out._backward = _backward
    return out.sum()


def test_unbroadcast_and_errors():
    assert unbroadcast(np.ones((2, 3, 4)), (3, 1)).tolist() == [[8.0]] * 3
    assert unbroadcast(np.ones((2, 3)), ()).shape == ()
    with pytest.raises(ValueError, match="scalar"):
        Tensor(np.ones(3)).backward()
    with pytest.raises(ValueError, match="inner sizes"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="labels"):
        cross_entropy(Tensor(np.ones((2, 3))), np.array([0, 3]))


def test_mlp_and_sgd_match_torch_step_for_step():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 5)), rng.integers(0, 2, size=20)
    mlp = MLP([5, 7, 2], seed=3)
    ref = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 2)).double()
    with torch.no_grad():
        for ours, theirs in zip(mlp.layers, [ref[0], ref[2]]):
            theirs.weight.copy_(torch.as_tensor(ours.weight.data.T))
            theirs.bias.copy_(torch.as_tensor(ours.bias.data))
    opt, ref_opt = SGD(mlp.parameters(), lr=0.1, momentum=0.9), torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    for _ in range(5):
        loss = cross_entropy(mlp(Tensor(X)), y)
        loss.backward()
        opt.step()
        ref_opt.zero_grad()
        ref_loss = torch.nn.functional.cross_entropy(ref(torch.as_tensor(X)), torch.as_tensor(y))
        ref_loss.backward()
        ref_opt.step()
        assert float(loss.data) == pytest.approx(ref_loss.item(), rel=1e-12)
    assert not math.isclose(float(loss.data), float(cross_entropy(MLP([5, 7, 2], seed=3)(Tensor(X)), y).data))
