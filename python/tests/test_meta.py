"""The meta device: every torch.ops.gem operator returns, without reading a value, outputs of the
shape, dtype and strides the CPU kernels give (channels-last stays channels-last), after the same
argument checks with the same messages; modules initialise and run there, and FakeTensorMode
traces through them (what torch.compile and torch.export build on)."""
import pytest
import torch
from torch import nn

import gem

C = 3  # channels of the 4-d inputs, dimension 1


def layouts(dtype):
    """x in the layouts a model hands an activation: contiguous, channels-last, a transpose
    (dense but permuted), a strided slice (not dense: copied once), a 0-d and an empty tensor."""
    base = torch.randn(2, C, 4, 5, dtype=torch.float64).to(dtype)
    return {
        "contiguous": base,
        "channels_last": base.to(memory_format=torch.channels_last),
        "transposed": base.transpose(2, 3),
        "sliced": base[:, :, ::2],
        "scalar": base[0, 0, 0, 0].clone(),
        "empty": base[:0],
    }


def eps_for(x, per_channel):
    return torch.full((C,), 0.1, dtype=x.dtype) if per_channel and x.dim() == 4 else torch.tensor(0.1, dtype=x.dtype)


# Each entry: name -> a function of (x, eps tensor) calling one operator overload.
OPS = {
    "forward": lambda x, e: torch.ops.gem.forward(x, "egem", 1, 1e-4),
    "forward.spec": lambda x, e: torch.ops.gem.forward(x, "segem:N=2,eps=0.5"),
    "forward_out": lambda x, e: torch.ops.gem.forward_out(x, "egem", 2, 1e-3, out=torch.empty_like(x)),
    "forward_out_resized": lambda x, e: torch.ops.gem.forward_out(
        x, "egem", 2, 1e-3, out=torch.empty(0, dtype=x.dtype, device=x.device)),
    "backward": lambda x, e: torch.ops.gem.backward(torch.ones_like(x), x, "segem", 1, 0.1),
    "backward.spec": lambda x, e: torch.ops.gem.backward(x.contiguous(), x, "gem:N=1"),
    "backward_out": lambda x, e: torch.ops.gem.backward_out(torch.ones_like(x), x, "gem", 1, 1.0,
                                                            grad_in=torch.empty_like(x)),
    "backward_grad2": lambda x, e: torch.ops.gem.backward_grad2(torch.ones_like(x), x, "egem", 3, 0.2),
    "activation": lambda x, e: torch.ops.gem.activation(x, "egem:N=1,eps=1e-4"),
    "activation.relu": lambda x, e: torch.ops.gem.activation(x, "relu"),
    "forward_eps_tensor": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "egem", 1, e, 1),
    "backward_eps_tensor": lambda x, e: torch.ops.gem.backward_eps_tensor(torch.ones_like(x), x, "segem", 2, e),
    "backward_grad2_eps_tensor": lambda x, e: torch.ops.gem.backward_grad2_eps_tensor(x, x, "egem", 1, e),
    "eps_tensor_grads": lambda x, e: torch.ops.gem.eps_tensor_grads(torch.ones_like(x), x, "egem", 2, e),
    "eps_partial.0": lambda x, e: torch.ops.gem.eps_partial(x, "segem", 1, e, 0),
    "eps_partial.2": lambda x, e: torch.ops.gem.eps_partial(x, "egem", 1, e, 2),
    "derivative": lambda x, e: torch.ops.gem.derivative(x, "segem", 2, 0.1, 5),
    "derivative.spec": lambda x, e: torch.ops.gem.derivative(x, "egem:N=1,eps=1e-4", 3),
}
BIAS_OPS = {
    "bias_forward": lambda x, b: torch.ops.gem.bias_forward(x, b, "egem", 1, 1e-3),
    "bias_backward": lambda x, b: torch.ops.gem.bias_backward(torch.ones_like(x), x, b, "segem", 1, 0.1),
}


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def assert_same_metadata(meta_out, cpu_out, what=""):
    meta_out, cpu_out = as_list(meta_out), as_list(cpu_out)
    assert len(meta_out) == len(cpu_out), what
    for m, c in zip(meta_out, cpu_out):
        assert m.device.type == "meta", what
        assert (m.shape, m.dtype, m.stride()) == (c.shape, c.dtype, c.stride()), what


def meta(t):
    return t.to("meta")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("op", sorted(OPS))
def test_every_op_gives_the_cpu_metadata_on_meta(op, per_channel, dtype):
    if op == "activation.relu" and dtype == torch.float16 and torch.__version__ < "2":
        pytest.skip("torch 1.13 has no float16 relu on the CPU to compare with")
    for layout, x in layouts(dtype).items():
        e = eps_for(x, per_channel)
        cpu_out = OPS[op](x, e)
        meta_out = OPS[op](meta(x), meta(e))
        assert_same_metadata(meta_out, cpu_out, f"{op} on a {layout} x")
        if layout == "channels_last" and op != "forward_out_resized":  # a resized out= keeps its own layout
            assert as_list(meta_out)[0].is_contiguous(memory_format=torch.channels_last), op


@pytest.mark.parametrize("op", sorted(BIAS_OPS))
def test_bias_ops_give_the_cpu_metadata_on_meta(op):
    for shape in [(4, 6), (2, 3, 6), (0, 6)]:
        x, b = torch.randn(shape), torch.randn(6)
        assert_same_metadata(BIAS_OPS[op](meta(x), meta(b)), BIAS_OPS[op](x, b))
        x_t = torch.randn(6, shape[0]).t()  # not contiguous: the ops make it so
        assert_same_metadata(BIAS_OPS[op](meta(x_t), meta(b)), BIAS_OPS[op](x_t, b))


def error_of(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 (the type is part of what is compared)
        return type(e), str(e).split("\n")[0]
    return None


x4 = torch.randn(2, C, 4, 5)
BAD_CALLS = {
    "variant": lambda x, e: torch.ops.gem.forward(x, "egemm", 1, 1e-4),
    "order": lambda x, e: torch.ops.gem.forward(x, "egem", 0, 1e-4),
    "eps": lambda x, e: torch.ops.gem.forward(x, "egem", 1, -1.0),
    "gem_eps": lambda x, e: torch.ops.gem.forward(x, "gem", 1, 0.5),
    "spec": lambda x, e: torch.ops.gem.activation(x, "egem:N=1"),
    "dtype": lambda x, e: torch.ops.gem.forward(x.int(), "egem", 1, 1e-4),
    "shape": lambda x, e: torch.ops.gem.backward(x[0], x, "egem", 1, 1e-4),
    "grad_dtype": lambda x, e: torch.ops.gem.backward(x.double(), x, "egem", 1, 1e-4),
    "out_dtype": lambda x, e: torch.ops.gem.forward_out(x, "egem", 1, 1e-4, out=x.double()),
    "eps_count": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "egem", 1, e[:2], 1),
    "eps_2d": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "egem", 1, e.expand(2, C), 1),
    "channel_dim": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "egem", 1, e, 4),
    "channel_dim_last": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "egem", 1, e, -1),
    "eps_gem": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "gem", 1, e, 1),
    "eps_int": lambda x, e: torch.ops.gem.forward_eps_tensor(x, "egem", 1, e.int(), 1),
    "which": lambda x, e: torch.ops.gem.eps_partial(x, "egem", 1, e, 3),
    "derivative_order": lambda x, e: torch.ops.gem.derivative(x, "egem", 1, 1e-4, -1),
    "derivative_spec": lambda x, e: torch.ops.gem.derivative(x, "gelu", 3),
    "bias_size": lambda x, e: torch.ops.gem.bias_forward(x, e, "egem", 1, 1e-4),
    "bias_scalar": lambda x, e: torch.ops.gem.bias_forward(x[0, 0, 0, 0], e, "egem", 1, 1e-4),
}


@pytest.mark.parametrize("call", sorted(BAD_CALLS))
def test_meta_refuses_what_the_cpu_refuses_with_the_same_message(call):
    e = torch.full((C,), 0.1)
    cpu = error_of(lambda: BAD_CALLS[call](x4, e))
    assert cpu is not None, f"{call} should be refused"
    assert error_of(lambda: BAD_CALLS[call](meta(x4), meta(e))) == cpu


def test_eps_on_another_device_is_refused_on_meta():
    with pytest.raises(RuntimeError, match="eps is on cpu but x is on meta"):
        torch.ops.gem.forward_eps_tensor(meta(x4), "egem", 1, torch.full((C,), 0.1), 1)


def test_eps_values_are_checked_where_they_are_read():
    """Meta never reads eps (a traced model's parameters have no values); the kernels that do
    refuse a bad one, naming the channel."""
    bad = torch.tensor([0.1, -1.0, 0.1])
    assert torch.ops.gem.forward_eps_tensor(meta(x4), "egem", 1, meta(bad), 1).shape == x4.shape
    with pytest.raises(ValueError, match=r"\(the eps of channel 1\)"):
        torch.ops.gem.forward_eps_tensor(x4, "egem", 1, bad, 1)


def small_model():
    return nn.Sequential(nn.Linear(16, 8), gem.nn.EGEM(1, 1e-3, learnable_eps=True, num_parameters=8),
                         nn.Linear(8, 8), gem.nn.SEGEM(2, 0.1), nn.Linear(8, 8), gem.nn.GEM(1),
                         gem.nn.Activation("gelu"), nn.Linear(8, 2))


def test_modules_initialise_and_run_on_meta():
    """Deferred initialisation: build on meta, trace shapes and gradients, then materialise."""
    model = small_model().to("meta")
    y = model(torch.empty(4, 16, device="meta"))
    assert y.device.type == "meta" and y.shape == (4, 2)
    y.sum().backward()  # autograd on meta: the shape of every gradient, no values
    assert model[1].log_eps.grad.shape == (8,) and model[1].log_eps.grad.device.type == "meta"
    model.to_empty(device="cpu")
    torch.manual_seed(0)
    reference = small_model()
    model.load_state_dict(reference.state_dict())
    x = torch.randn(4, 16)
    assert torch.equal(model(x), reference(x))


def test_fake_tensor_mode_traces_the_ops():
    from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

    x = torch.randn(2, C, 4, 5).to(memory_format=torch.channels_last)
    with FakeTensorMode() as mode:
        fx = mode.from_tensor(x).requires_grad_()
        fe = mode.from_tensor(torch.full((C,), 0.1)).requires_grad_()
        y = gem.functional.segem(fx, 1, fe) * gem.functional.egem(fx, 2, 1e-3)
        assert isinstance(y, FakeTensor) and y.stride() == x.stride()
        grad_x, grad_e = torch.autograd.grad(y.sum(), (fx, fe))
        assert isinstance(grad_x, FakeTensor) and grad_x.shape == x.shape and grad_e.shape == (C,)
