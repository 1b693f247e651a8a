"""The fused bias + activation ops on the CPU (gem::bias_forward, gem::bias_backward): the
composition they stand for, bit for bit; their gradients to second order; their errors. (The
CUDA kernel is tested against the same composition in tests/cuda/bias_test.cpp.)"""
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import gem  # noqa: F401  (loads the ops)
from gem import functional as G

ops = torch.ops.gem
CASES = [("egem", 2, 1e-3), ("segem", 1, 0.1), ("gem", 3, 1.0)]


@pytest.mark.parametrize("variant,N,eps", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 6)])
def test_forward_is_the_activation_of_x_plus_bias(variant, N, eps, dtype, shape):
    torch.manual_seed(0)
    x = (3 * torch.randn(shape)).to(dtype)
    b = torch.randn(shape[-1]).to(dtype)
    want = ops.forward(x + b, variant, N, eps)
    assert torch.equal(ops.bias_forward(x, b, variant, N, eps), want)


@pytest.mark.parametrize("variant,N,eps", CASES)
def test_backward_is_the_chain_rule(variant, N, eps):
    torch.manual_seed(1)
    x, b, g = torch.randn(6, 5, dtype=torch.float64), torch.randn(5, dtype=torch.float64), torch.randn(6, 5,
                                                                                                        dtype=torch.float64)
    gx, gb = ops.bias_backward(g, x, b, variant, N, eps)
    want_gx = ops.backward(g, x + b, variant, N, eps)
    assert torch.equal(gx, want_gx)
    torch.testing.assert_close(gb, want_gx.sum(0), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("variant,N,eps", CASES)
def test_gradients_to_second_order(variant, N, eps):
    torch.manual_seed(2)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, requires_grad=True)
    f = lambda x, b: ops.bias_forward(x, b, variant, N, eps)  # noqa: E731
    assert gradcheck(f, (x, b))
    assert gradgradcheck(f, (x, b))


def test_autograd_agrees_with_the_unfused_module():
    torch.manual_seed(3)
    x = torch.randn(8, 5, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, dtype=torch.float64, requires_grad=True)
    ops.bias_forward(x, b, "egem", 1, 1e-2).pow(2).sum().backward()
    fused = (x.grad.clone(), b.grad.clone())
    x.grad, b.grad = None, None
    G.egem(x + b, 1, 1e-2).pow(2).sum().backward()
    torch.testing.assert_close(fused, (x.grad, b.grad), rtol=1e-13, atol=1e-13)


def test_clear_errors():
    x = torch.randn(4, 5)
    with pytest.raises(ValueError, match=r"bias must be one-dimensional with the size of x's last dimension \(5\), got shape \[4\]"):
        ops.bias_forward(x, torch.randn(4), "egem", 1, 0.1)
    with pytest.raises(TypeError, match="bias dtype Double does not match x dtype Float"):
        ops.bias_forward(x, torch.randn(5, dtype=torch.float64), "egem", 1, 0.1)
    with pytest.raises(ValueError, match="E-GEM eps must be finite and > 0, got -1"):
        ops.bias_forward(x, torch.randn(5), "egem", 1, -1.0)
    with pytest.raises(ValueError, match="variant must be gem, egem or segem, got 'relu'"):
        ops.bias_forward(x, torch.randn(5), "relu", 1, 0.1)
