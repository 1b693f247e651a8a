"""The gated activation gem.functional.glu / gem.nn.GLU on x = [a | b]: the unfused chain's bits in
float32 and float64, one ulp of the float64 chain in float16 and bfloat16, GEGLU and SwiGLU for
the baselines, gradcheck and gradgradcheck, the meta device and FakeTensor, TorchScript and clear
errors (ONNX export: test_onnx.py)."""
import pytest
import torch

import gem

GEM_SPECS = ["gem:N=1", "egem:N=1,eps=1e-4", "egem:N=2,eps=10", "segem:N=1,eps=1e-4", "segem:N=3,eps=0.37"]


def unfused(x, spec):
    a, b = x.chunk(2, -1)
    return gem.functional.activation(a, spec) * b


def inputs(*shape, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * 3).to(dtype)


@pytest.mark.parametrize("spec", GEM_SPECS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_types_are_the_unfused_chain_bit_for_bit(spec, dtype):
    x = inputs(6, 5, 2 * 37, dtype=dtype)
    go = inputs(6, 5, 37, dtype=dtype, seed=1)
    assert torch.equal(gem.functional.glu(x, spec), unfused(x, spec))
    xf, xu = x.clone().requires_grad_(), x.clone().requires_grad_()
    gem.functional.glu(xf, spec).backward(go)
    unfused(xu, spec).backward(go)
    assert torch.equal(xf.grad, xu.grad)


def ulps(got, want, dtype):
    """|got - want| in ulps of `dtype` at want (its smallest normal spacing as the floor)."""
    info = torch.finfo(dtype)
    scale = torch.exp2(torch.floor(torch.log2(want.abs().clamp_min(info.tiny)))) * info.eps
    return ((got.double() - want).abs() / scale).max().item()


@pytest.mark.parametrize("spec", GEM_SPECS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_16_bit_types_are_within_one_ulp_of_the_float64_chain(spec, dtype):
    x = inputs(64, 2 * 24, dtype=dtype)
    go = inputs(64, 24, dtype=dtype, seed=2)
    assert ulps(gem.functional.glu(x, spec), unfused(x.double(), spec), dtype) <= 1
    xr, xd = x.clone().requires_grad_(), x.double().requires_grad_()
    gem.functional.glu(xr, spec).backward(go)
    unfused(xd, spec).backward(go.double())
    assert ulps(xr.grad, xd.grad, dtype) <= 1


@pytest.mark.parametrize("spec,fn", [("gelu", torch.nn.functional.gelu), ("silu", torch.nn.functional.silu),
                                     ("relu", torch.relu)])
def test_baselines_are_geglu_swiglu_and_reglu(spec, fn):
    x = inputs(4, 10)
    a, b = x.chunk(2, -1)
    assert torch.equal(gem.functional.glu(x, spec), fn(a) * b)


@pytest.mark.parametrize("spec", GEM_SPECS + ["gelu"])
def test_gradcheck_and_gradgradcheck(spec):
    x = inputs(3, 8, dtype=torch.float64).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: gem.functional.glu(t, spec), (x,))
    assert torch.autograd.gradgradcheck(lambda t: gem.functional.glu(t, spec), (x,))


def test_module_in_a_feed_forward_layer_and_scripted():
    torch.manual_seed(0)
    ff = torch.nn.Sequential(torch.nn.Linear(8, 2 * 16), gem.nn.GLU("egem:N=1,eps=1e-4"), torch.nn.Linear(16, 8))
    x = torch.randn(5, 8)
    y = ff(x)
    assert y.shape == (5, 8)
    assert torch.equal(torch.jit.script(ff)(x), y)
    assert "egem:N=1,eps=1e-4" in repr(ff[1])


def test_meta_and_fake_tensors_give_the_shapes():
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

    y = gem.functional.glu(torch.empty(3, 4, 10, device="meta"), "segem:N=1,eps=1e-4")
    assert y.is_meta and y.shape == (3, 4, 5)
    with FakeTensorMode() as mode:
        fx = mode.from_tensor(torch.randn(2, 6)).requires_grad_()
        fy = gem.functional.glu(fx, "egem:N=2,eps=1e-3")
        assert isinstance(fy, FakeTensor) and fy.shape == (2, 3)
        (grad,) = torch.autograd.grad(fy.sum(), (fx,))
        assert grad.shape == (2, 6)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"gem::glu: the last dimension of x holds \[a \| b\] and must be even"):
        gem.functional.glu(torch.zeros(3, 5), "gem:N=1")
    with pytest.raises(ValueError, match="at least one dimension"):
        gem.functional.glu(torch.zeros(()), "gelu")
    with pytest.raises(TypeError, match="floating-point"):
        gem.functional.glu(torch.zeros(3, 4, dtype=torch.int32), "gem:N=1")
    with pytest.raises(ValueError, match="gem::glu: "):
        gem.functional.glu(torch.zeros(3, 4), "egem:N=9,eps=1")
    with pytest.raises(ValueError, match="grad_out shape"):
        torch.ops.gem.glu_backward(torch.zeros(3, 4), torch.zeros(3, 4), "egem", 1, 1e-4)
    with pytest.raises(ValueError):
        gem.nn.GLU("nope")
