"""Convolution and pooling from scratch equal PyTorch's, for every stride, padding, dilation and size."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
F = torch.nn.functional

from nlpcourse.layers import Conv1d, avg_pool1d, conv1d, conv_output_length, max_pool1d  # noqa: E402


@settings(max_examples=80, deadline=None)
@given(batch=st.integers(1, 3), c_in=st.integers(1, 4), c_out=st.integers(1, 4), length=st.integers(1, 20),
       kernel=st.integers(1, 5), stride=st.integers(1, 3), padding=st.integers(0, 3), dilation=st.integers(1, 3),
       bias=st.booleans(), seed=st.integers(0, 1000))
def test_conv1d_equals_torch(batch, c_in, c_out, length, kernel, stride, padding, dilation, bias, seed):
    torch.manual_seed(seed)
    x = torch.randn(batch, c_in, length, dtype=torch.float64, requires_grad=True)
    w = torch.randn(c_out, c_in, kernel, dtype=torch.float64, requires_grad=True)
    b = torch.randn(c_out, dtype=torch.float64, requires_grad=True) if bias else None
    if conv_output_length(length, kernel, stride, padding, dilation) < 1:
        with pytest.raises(ValueError, match="shorter than"):
            conv1d(x, w, b, stride, padding, dilation)
        return
    ours = conv1d(x, w, b, stride, padding, dilation)
    ref = F.conv1d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    assert ours.shape == ref.shape
    assert ours.shape[-1] == conv_output_length(length, kernel, stride, padding, dilation)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-10)
    # the gradients too: unfold + matmul is differentiable end to end
    upstream = torch.randn_like(ref)
    grads = torch.autograd.grad((ours * upstream).sum(), [x, w])
    ref_grads = torch.autograd.grad((ref * upstream).sum(), [x, w])
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(length=st.integers(1, 16), kernel=st.integers(1, 4), stride=st.one_of(st.none(), st.integers(1, 3)),
       padding=st.integers(0, 2), tied=st.booleans(), seed=st.integers(0, 1000))
def test_pools_equal_torch(length, kernel, stride, padding, tied, seed):
    if padding > kernel // 2 or conv_output_length(length, kernel, stride or kernel, padding) < 1:
        return  # torch's own rules: padding at most half the kernel, a window must fit
    torch.manual_seed(seed)
    x = torch.randint(-2, 3, (2, 3, length)).double() if tied else torch.randn(2, 3, length, dtype=torch.float64)
    for ours, theirs in [(max_pool1d, F.max_pool1d), (avg_pool1d, F.avg_pool1d)]:
        x_ours, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
        out, ref = ours(x_ours, kernel, stride, padding), theirs(x_ref, kernel, stride, padding)
        torch.testing.assert_close(out, ref)
        upstream = torch.randn_like(ref)
        (out * upstream).sum().backward()
        (ref * upstream).sum().backward()
        torch.testing.assert_close(x_ours.grad, x_ref.grad, rtol=1e-12, atol=1e-12)


def test_max_pool_gradient_goes_to_the_first_tied_maximum():
    x = torch.tensor([[[1.0, 3.0, 3.0, 2.0, 3.0, 3.0, 0.0, 0.0]]], requires_grad=True)
    max_pool1d(x, 3, 2, 1).sum().backward()
    assert x.grad.tolist() == [[[0.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]]]


def test_conv1d_module_equals_nn_conv1d():
    torch.manual_seed(0)
    ours = Conv1d(4, 6, 3, stride=2, padding=1, dilation=2)
    ref = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2)
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(5, 4, 30)
    torch.testing.assert_close(ours(x), ref(x))


def test_bad_shapes_are_explained():
    x = torch.randn(2, 3, 10)
    with pytest.raises(ValueError, match="channels"):
        conv1d(x, torch.randn(4, 2, 3))
    with pytest.raises(ValueError, match="batch, channels, length"):
        conv1d(torch.randn(3, 10), torch.randn(4, 3, 3))
    with pytest.raises(ValueError, match=">= 1"):
        max_pool1d(x, 0)
