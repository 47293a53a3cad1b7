"""Squash, dynamic routing and the margin loss as in the paper; the capsule classifier in PyTorch and Keras (chapter 6)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

from nlpcourse.layers.capsule import CapsuleLayer, dynamic_routing, margin_loss, routing_loops, squash  # noqa: E402
from nlpcourse.models.capsnet import CapsNetClassifier, CapsNetConfig  # noqa: E402
from nlpcourse.utils import count_params  # noqa: E402

vectors = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 8)),
                 elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False))


@settings(max_examples=60, deadline=None)
@given(s=vectors, scale=st.floats(1.01, 10.0))
def test_squash_keeps_direction_gives_lengths_below_one_and_grows_with_the_norm(s, scale):
    s = torch.as_tensor(s)
    v = squash(s)
    norms, lengths = s.norm(dim=-1), v.norm(dim=-1)
    assert torch.all(lengths >= 0) and torch.all(lengths < 1)
    nonzero = norms > 1e-6
    expected = norms ** 2 / (1 + norms ** 2)                           # the paper's length
    assert torch.allclose(lengths[nonzero], expected[nonzero], rtol=1e-9)
    cosine = (v * s).sum(-1)[nonzero] / (lengths * norms)[nonzero]
    assert torch.allclose(cosine, torch.ones_like(cosine))            # same direction
    longer = squash(s * scale).norm(dim=-1)
    assert torch.all(longer[nonzero] >= lengths[nonzero])              # monotone in the norm


def test_squash_of_zeros_is_zeros_with_a_finite_gradient():
    for dtype in (torch.float32, torch.float64):
        s = torch.zeros(3, 4, dtype=dtype, requires_grad=True)
        v = squash(s)
        v.sum().backward()
        assert torch.equal(v, torch.zeros_like(v)) and torch.isfinite(s.grad).all()
    assert torch.allclose(squash(torch.tensor([3.0, 4.0]), constant=0.5).norm(), torch.tensor(25 / 25.5))


@pytest.mark.parametrize("iterations", [1, 2, 3, 5])
def test_vectorised_routing_equals_the_papers_procedure(iterations):
    torch.manual_seed(iterations)
    u_hat = torch.randn(2, 7, 3, 4, dtype=torch.float64)
    v, c = dynamic_routing(u_hat, iterations)
    for b in range(2):
        v_loop, c_loop = routing_loops(u_hat[b], iterations)
        assert torch.allclose(v[b], v_loop, atol=1e-6) and torch.allclose(c[b], c_loop, atol=1e-6)
    assert torch.allclose(c.sum(dim=2), torch.ones(2, 7, dtype=torch.float64))   # over upper capsules
    if iterations == 1:
        assert torch.allclose(c, torch.full_like(c, 1 / 3))                        # uniform


def test_masked_capsules_change_nothing_and_variants_differ():
    torch.manual_seed(0)
    u_hat = torch.randn(1, 5, 2, 3)
    padded = torch.cat([u_hat, torch.randn(1, 4, 2, 3)], dim=1)
    mask = torch.arange(9)[None] < 5
    assert torch.allclose(dynamic_routing(u_hat)[0], dynamic_routing(padded, mask=mask)[0], atol=1e-6)
    paper = dynamic_routing(u_hat)[0]
    assert not torch.allclose(paper, dynamic_routing(u_hat, accumulate=False)[0])
    assert not torch.allclose(paper, dynamic_routing(u_hat, squash_constant=0.5)[0])


def test_margin_loss_by_hand():
    lengths = torch.tensor([[0.95, 0.05], [0.5, 0.6]])
    targets = torch.tensor([0, 0])
    # first: both margins met -> 0; second: (0.9 - 0.5)^2 + 0.5 (0.6 - 0.1)^2 = 0.16 + 0.125
    assert torch.isclose(margin_loss(lengths, targets), torch.tensor((0 + 0.285) / 2))


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="iterations"):
        dynamic_routing(torch.zeros(1, 2, 2, 3), iterations=0)
    with pytest.raises(ValueError, match="capsule_dim"):
        CapsuleLayer(8, 2, 0)
    with pytest.raises(ValueError, match="iterations"):
        CapsuleLayer(8, 2, 4, iterations=0)
    with pytest.raises(ValueError, match=r"u_hat must have shape \(batch, lower capsules"):
        dynamic_routing(torch.zeros(2, 2, 3))
    with pytest.raises(ValueError, match=r"u must have shape \(batch, lower capsules, 8\)"):
        CapsuleLayer(8, 2, 4)(torch.zeros(3, 8))
    with pytest.raises(ValueError, match="capsule_dim"):
        CapsNetConfig(vocab_size=10, capsule_dim=0)
    with pytest.raises(ValueError, match="routing_iterations"):
        CapsNetConfig(vocab_size=10, routing_iterations=0)


def test_capsnet_ignores_padding_and_matches_keras_in_size_and_routing():
    torch.manual_seed(1)
    config = CapsNetConfig(vocab_size=40, embed_dim=8, hidden_size=6, capsule_dim=4)
    model = CapsNetClassifier(config).eval()
    rng = np.random.default_rng(0)
    X = {width: np.zeros((3, width), dtype=np.int64) for width in (100, 500)}
    for row, n in enumerate((4, 30, 99)):
        review = rng.integers(1, 40, size=n)
        for padded in X.values():
            padded[row, :n] = review
    with torch.no_grad():
        short, long = (model(torch.as_tensor(x))[0] for x in X.values())
    assert torch.allclose(short, long, atol=1e-6) and torch.all((short >= 0) & (short < 1))
    pytest.importorskip("keras")
    from nlpcourse.keras.capsnet import CapsuleRouting, get_capsnet
    keras_model = get_capsnet(config)
    assert count_params(keras_model) == count_params(model)
    k_short, k_long = (keras_model.predict(x, verbose=0) for x in X.values())
    assert np.allclose(k_short, k_long, atol=1e-6), "the mask reaches the routing: padding routes nothing"
    layer = CapsuleRouting(2, 4, iterations=3)
    layer.build((None, None, 12))
    weight = model.classifier.weight.detach()                              # (J, D, K)
    layer.set_weights([weight.reshape(8, 12).T.numpy()])
    u = torch.randn(2, 9, 12)
    mask = torch.arange(9)[None] < torch.tensor([[9], [5]])
    expected = model.classifier(u, mask)[0].detach().numpy()
    got = np.asarray(layer(u.numpy(), mask=mask.numpy()))
    assert np.allclose(got, expected, atol=1e-5)


def test_capsnet_learns_what_words_say():
    """Label 1 when token 1 ('great') occurs, 0 when token 2 ('awful') does: routing must find the word."""
    from nlpcourse.data.loaders import make_loader
    from nlpcourse.train import evaluate, fit
    rng = np.random.default_rng(0)

    def make(n):
        X = rng.integers(3, 30, size=(n, 10))
        y = rng.integers(0, 2, size=n)
        X[np.arange(n), rng.integers(0, 10, size=n)] = np.where(y == 1, 1, 2)
        return X, y
    (X, y), (X_val, y_val) = make(1500), make(300)
    torch.manual_seed(0)
    model = CapsNetClassifier(CapsNetConfig(vocab_size=30, embed_dim=8, hidden_size=8, capsule_dim=4, dropout=0.0))
    fit(model, make_loader(X, y, 32, shuffle=True), None, epochs=6, lr=1e-2, progress=False, device="cpu")
    assert evaluate(model, make_loader(X_val, y_val, 300), device="cpu")["accuracy"] > 0.95
