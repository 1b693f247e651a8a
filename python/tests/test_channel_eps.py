"""One learnable eps per channel (as torch.nn.PReLU's weight): every channel computes exactly what
a one-eps call with its own eps computes, gradients are exact (gradcheck and gradgradcheck in
float64) and channel-local, results are the same bits at any thread count, and the modules learn
C values along dimension 1 or the last."""
import pytest
import torch
from torch import nn
from torch.autograd import gradcheck, gradgradcheck

import gem
from gem import functional as G

FN = {"egem": G.egem, "segem": G.segem}
EPS = [0.03, 0.2, 1.5]


def channel_slices(x, dim):
    return [x.select(dim, c) for c in range(x.size(dim))]


@pytest.mark.parametrize("variant", ["egem", "segem"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "last_dim"])
def test_each_channel_is_its_own_one_eps_call(variant, dtype, layout):
    """Forward, the x-gradient and the eps-partials bit for bit; the eps-gradient to rounding."""
    torch.manual_seed(0)
    if layout == "last_dim":
        x, dim = torch.randn(4, 7, 3, dtype=torch.float64).to(dtype) * 2, -1
    else:
        x, dim = torch.randn(2, 3, 5, 6, dtype=torch.float64).to(dtype) * 2, 1
        if layout == "channels_last":
            x = x.to(memory_format=torch.channels_last)
    eps = torch.tensor(EPS, dtype=dtype)
    g = torch.randn_like(x)
    y = FN[variant](x, 2, eps, channel_dim=dim)
    grad_x, grad_eps = torch.ops.gem.eps_tensor_grads(g, x, variant, 2, eps, dim)
    partial = torch.ops.gem.eps_partial(x, variant, 2, eps, 0, dim)
    for c, (xc, yc, gc, gxc, pc) in enumerate(zip(*(channel_slices(t, dim) for t in (x, y, g, grad_x, partial)))):
        one = eps[c].reshape(())
        assert torch.equal(yc, FN[variant](xc, 2, one))
        gx_one, ge_one = torch.ops.gem.eps_tensor_grads(gc, xc, variant, 2, one, 1)
        assert torch.equal(gxc, gx_one)
        assert torch.equal(pc, torch.ops.gem.eps_partial(xc, variant, 2, one, 0, 1))
        # Both sums run in binary64 and are rounded once, but the row kernels add in another order,
        # so they agree to the rounding of the dtype, relative to the sum of the terms' sizes.
        scale = (gc.double() * pc.double()).abs().sum().item()
        tolerance = 8 * torch.finfo(dtype).eps * scale
        assert abs(grad_eps[c].item() - ge_one.item()) <= tolerance, c


def test_gradients_are_channel_local():
    """Changing x in one channel moves only that channel's eps gradient."""
    torch.manual_seed(1)
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    eps = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    g = torch.ones_like(x)
    _, before = torch.ops.gem.eps_tensor_grads(g, x, "segem", 1, eps, 1)
    x2 = x.clone()
    x2[:, 2] -= 1.0
    _, after = torch.ops.gem.eps_tensor_grads(g, x2, "segem", 1, eps, 1)
    changed = (before != after).tolist()
    assert changed == [False, False, True, False]


@pytest.mark.parametrize("variant", ["egem", "segem"])
@pytest.mark.parametrize("N", [1, 2])
@pytest.mark.parametrize("dim", [1, -1])
def test_gradcheck_and_gradgradcheck_per_channel(variant, N, dim):
    torch.manual_seed(2)
    x = (torch.randn(3, 4, 5, dtype=torch.float64) * 1.5).requires_grad_()
    n = x.size(dim)
    eps = torch.linspace(0.05, 0.5, n, dtype=torch.float64).requires_grad_()
    fn = lambda x, e: FN[variant](x, N, e, channel_dim=dim)  # noqa: E731
    assert gradcheck(fn, (x, eps))
    assert gradgradcheck(fn, (x, eps), eps=1e-7)


def test_gradcheck_per_channel_channels_last():
    torch.manual_seed(3)
    x = torch.randn(2, 3, 3, 2, dtype=torch.float64).to(memory_format=torch.channels_last).requires_grad_()
    eps = torch.tensor([0.05, 0.3, 1.0], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda x, e: G.egem(x, 1, e), (x, eps))
    assert gradgradcheck(lambda x, e: G.segem(x, 1, e), (x, eps), eps=1e-7)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_same_bits_at_any_thread_count(dtype):
    torch.manual_seed(4)
    x = torch.randn(8, 16, 32, 32).to(dtype)
    eps = torch.linspace(0.01, 1.0, 16).to(dtype)
    g = torch.randn_like(x)
    threads = torch.get_num_threads()
    results = []
    try:
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            results.append(torch.ops.gem.eps_tensor_grads(g, x, "egem", 1, eps, 1))
    finally:
        torch.set_num_threads(threads)
    for grad_x, grad_eps in results[1:]:
        assert torch.equal(grad_x, results[0][0]) and torch.equal(grad_eps, results[0][1])


def test_autograd_uses_the_fused_gradients():
    """backward() without create_graph gives what eps_tensor_grads gives, eps gradient included."""
    torch.manual_seed(5)
    x = torch.randn(4, 6, 10, requires_grad=True)
    eps = torch.linspace(0.05, 0.3, 6, requires_grad=True)
    g = torch.randn(4, 6, 10)
    G.egem(x, 1, eps).backward(g)
    grad_x, grad_eps = torch.ops.gem.eps_tensor_grads(g, x.detach(), "egem", 1, eps.detach(), 1)
    assert torch.equal(x.grad, grad_x) and torch.equal(eps.grad, grad_eps)
    assert grad_eps.dtype == eps.dtype and grad_eps.shape == eps.shape


def test_non_differentiable_helpers_return_outputs_without_history():
    x = torch.randn(3, 4, requires_grad=True)
    eps = torch.full((4,), 0.1, requires_grad=True)
    grad_x, grad_eps = torch.ops.gem.eps_tensor_grads(torch.ones(3, 4), x, "egem", 1, eps, -1)
    assert not grad_x.requires_grad and not grad_eps.requires_grad
    gx, gb = torch.ops.gem.bias_backward(torch.ones(3, 4), x, eps, "egem", 1, 0.1)
    assert not gx.requires_grad and not gb.requires_grad


@pytest.mark.parametrize("cls", [gem.nn.EGEM, gem.nn.SEGEM])
def test_modules_learn_one_eps_per_channel(cls):
    act = cls(1, 0.1, learnable_eps=True, num_parameters=5)
    assert act.log_eps.shape == (5,)
    assert repr(act) == f"{cls.__name__}(N=1, num_parameters=5, channel_dim=1, learnable_eps=True)"
    assert torch.allclose(act.eps_values(), torch.full((5,), 0.1))
    assert torch.equal(act.eps, act.eps_values())
    x = torch.randn(2, 5, 3, 3)
    assert torch.equal(act(x), FN[cls.__name__.lower()](x, 1, act.log_eps.exp()))
    act(x).sum().backward()
    assert act.log_eps.grad.shape == (5,) and bool((act.log_eps.grad != 0).all())
    # Transformer features: the last dimension.
    last = cls(1, 0.1, learnable_eps=True, num_parameters=5, channel_dim=-1)
    assert last(torch.randn(2, 7, 5)).shape == (2, 7, 5)
    with pytest.raises(ValueError, match=r"one per channel \(7 along dimension 1"):
        act(torch.randn(2, 7, 5))


def test_module_options_are_checked():
    with pytest.raises(ValueError, match="num_parameters must be an integer >= 1"):
        gem.nn.EGEM(1, 0.1, learnable_eps=True, num_parameters=0)
    with pytest.raises(ValueError, match="needs learnable_eps=True"):
        gem.nn.EGEM(1, 0.1, num_parameters=4)


def test_per_channel_state_dict_and_training():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), gem.nn.EGEM(1, 0.05, learnable_eps=True, num_parameters=4),
                          nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    x, labels = torch.randn(32, 1, 8, 8), torch.randint(0, 2, (32,))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()
    learned = model[1].eps_values()
    assert len(set(learned.tolist())) == 4  # each channel moved on its own
    copy = nn.Sequential(nn.Conv2d(1, 4, 3), gem.nn.EGEM(1, 0.05, learnable_eps=True, num_parameters=4),
                         nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    copy.load_state_dict(model.state_dict())
    assert torch.equal(copy[1].eps_values(), learned) and torch.equal(copy(x), model(x))
    scripted = torch.jit.script(model)
    assert torch.equal(scripted(x), model(x))
