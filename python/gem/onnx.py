"""ONNX export of models with gem activations: a symbolic function for every gem operator, so
that torch.onnx.export writes standard ONNX operators only (domain ai.onnx, opset >= 13).

    import gem, gem.onnx
    gem.onnx.export(model, x, "model.onnx")          # or torch.onnx.export(..., opset_version=17)

The graph is the stable algorithm of spec 3.2 (x scaled by S = 2^j near eps^(1/2N), both sides of
the gate evaluated and selected, every factor >= 1 divided out last), not the textbook
x^(2N+1)/(eps + x^(2N)): no NaN and no spurious inf or 0 for large or tiny |x|, and the special
values of spec 3.3 (NaN, +-inf, and the sign of SE-GEM's zeros) wherever ONNX arithmetic keeps
them (ONNX Runtime's Where turns a selected -0 into +0, so derivatives that underflow to -0 in
torch may read +0 in ONNX). float16 and
bfloat16 inputs are computed in float32 and cast back, as the kernels do. A learnable eps (a
parameter, one value or one per channel) becomes graph arithmetic on the exported eps, with S
and e computed from it in the graph.

Inference ops export (forward, forward_eps_tensor, bias_forward, the spec forms) and so do the
first and second derivatives (backward, backward_grad2, derivative with k <= 2); the ops that
only training uses (eps gradients, derivatives of order >= 3) raise a clear error.

PyTorch >= 2.9 exports with the dynamo exporter by default, which does not read these symbolic
functions: gem.onnx.export passes dynamo=False there.
"""
import inspect
import math

import torch
from torch.onnx import symbolic_helper as sh


OPSET = 13  # Where, IsNaN, IsInf, Pow with float exponents: all from opset 13's definitions


class _Graph:
    """The ops of spec 3.2 on ONNX values of one float type."""

    def __init__(self, g, dtype):
        self.g, self.dtype = g, dtype

    def const(self, v):
        return self.g.op("Constant", value_t=torch.tensor(v, dtype=self.dtype))

    def __getattr__(self, name):  # g.Mul(a, b) -> g.op("Mul", a, b)
        return lambda *args, **kw: self.g.op(name, *args, **kw)


def _constants_fixed(G, N, eps):
    """invS, e, me, Kd, C2 of spec 3.2 for one eps, computed in binary64 as the C++ core does."""
    m = 2 * N
    j = math.floor((math.frexp(eps)[1] - 1) / m)  # ilogb(eps) = frexp exponent - 1; a true floor
    s = math.ldexp(1.0, j)
    e = math.ldexp(eps, -m * j)
    return {"inv_s": G.const(math.ldexp(1.0, -j)), "e": G.const(e), "me": G.const(m * e),
            "kd": G.const(m / (e * s)), "c2": G.const(math.ldexp(eps, -(m - 2) * j))}


def _constants_tensor(G, N, eps):
    """The same constants from an eps value of the graph (already shaped to broadcast against x):
    j = floor(floor(log2 eps) / m), S = 2^j. A rounding of log2 at a power of two only moves S
    by a factor 2, which the algorithm tolerates (e stays within [1/2, 2^(m+1))."""
    m = 2 * N
    log2 = G.Floor(G.Div(G.Log(eps), G.const(math.log(2.0))))
    j = G.Floor(G.Div(log2, G.const(float(m))))
    s = G.Pow(G.const(2.0), j)
    inv_s = G.Pow(G.const(2.0), G.Neg(j))
    e = G.Mul(eps, G.Pow(inv_s, G.const(float(m))))
    return {"inv_s": inv_s, "e": e, "me": G.Mul(G.const(float(m)), e), "kd": G.Div(G.const(float(m)), G.Mul(e, s)),
            "c2": G.Mul(G.Mul(e, s), s)}


def _powers(G, a, k, N):
    """t = a / S and g = t^(N-1), h = t^N, p = t^(2N) by repeated multiplication."""
    t = G.Mul(a, k["inv_s"])
    g = G.const(1.0)
    for _ in range(N - 1):
        g = G.Mul(g, t)
    h = G.Mul(g, t)
    return g, h, G.Mul(h, h)


def _gate(G, a, k, N):
    """What both sides of the gate start from: the powers, q = (e/h)/h on the outer side, r = p/e
    on the inner one, d = 1 + q or 1 + r, and which side each element is on (p >= e: outer)."""
    g, h, p = _powers(G, a, k, N)
    one = G.const(1.0)
    q = G.Div(G.Div(k["e"], h), h)
    r = G.Div(p, k["e"])
    return g, h, q, r, G.Add(one, q), G.Add(one, r), G.GreaterOrEqual(p, k["e"]), one


def _positive(G, a, k, N, which):
    """E (which 0), E' (1) or E'' (2) at a > 0: both sides of the gate, selected by p >= e."""
    m = float(2 * N)
    g, h, q, r, dq, dr, outer, one = _gate(G, a, k, N)
    if which == 0:
        out = G.Div(a, dq)
        inn = G.Div(G.Mul(G.Mul(a, h), h), G.Mul(k["e"], dr))
    elif which == 1:
        out = G.Div(G.Add(one, G.Mul(G.const(m + 1), q)), G.Mul(dq, dq))
        inn = G.Div(G.Mul(G.Mul(G.Add(G.const(m + 1), r), h), h), G.Mul(k["e"], G.Mul(dr, dr)))
    else:
        bracket_q = G.Sub(G.const(m - 1), G.Mul(G.const(m + 1), q))
        out = G.Neg(G.Div(G.Div(G.Div(G.Div(G.Mul(k["me"], bracket_q), a), h), h), G.Mul(G.Mul(dq, dq), dq)))
        bracket_r = G.Sub(G.const(m + 1), G.Mul(G.const(m - 1), r))
        inn = G.Div(G.Mul(G.Mul(G.Mul(k["kd"], bracket_r), g), h), G.Mul(G.Mul(dr, dr), dr))
    return G.Where(outer, out, inn)


def _segem_negative(G, a, k, N, which):
    """SE (which 0) or SE' (1) at x = -a < 0."""
    m = float(2 * N)
    g, h, q, r, dq, dr, outer, one = _gate(G, a, k, N)
    if which == 0:
        out = G.Neg(G.Div(G.Div(G.Div(G.Div(k["c2"], a), g), g), dq))
        inn = G.Neg(G.Div(a, dr))
    else:
        out = G.Div(G.Div(G.Div(G.Mul(G.Sub(q, G.const(m - 1)), k["e"]), h), h), G.Mul(dq, dq))
        inn = G.Div(G.Sub(one, G.Mul(G.const(m - 1), r)), G.Mul(dr, dr))
    return G.Where(outer, out, inn)


def _activation(G, x, variant, N, k, which):
    """f, f' or f'' at any x, with the special values of spec 3.3."""
    zero = G.const(0.0)
    if variant == "segem":
        a = G.Neg(x)  # |x| where it is used (x < 0)
        if which == 2:
            neg = _positive(G, a, k, N, 2)  # SE''(x) = E''(-x)
        else:
            neg = _segem_negative(G, a, k, N, which)
        at_or_above = x if which == 0 else (G.const(1.0) if which == 1 else zero)
        y = G.Where(G.GreaterOrEqual(x, zero), at_or_above, neg)  # x itself keeps -0
        # SE at -inf is -0, its derivatives 0 (the formulas give NaN there: inf/inf).
        y = G.Where(G.IsInf(x, detect_negative_i=1, detect_positive_i=0), G.const(-0.0 if which == 0 else 0.0), y)
    else:
        pos = _positive(G, x, k, N, which)
        y = G.Where(G.Greater(x, zero), pos, zero)  # +0 for x <= 0
        # E at +inf: inf, 1, 0.
        at_inf = {0: x, 1: G.const(1.0), 2: zero}[which]
        y = G.Where(G.IsInf(x, detect_negative_i=0, detect_positive_i=1), at_inf, y)
    y = G.Where(G.IsNaN(x), x, y)
    if variant == "segem" and which == 0:
        # SE(x) has the sign of x, -0 and -inf included. ONNX Runtime's Where returns +0 for a
        # selected -0, so the sign is put back by a product, which keeps it.
        negative = G.Or(G.Less(x, zero), G.Less(G.Div(G.const(1.0), x), zero))  # 1/-0 = -inf
        y = G.Mul(G.Abs(y), G.Where(negative, G.const(-1.0), G.const(1.0)))
    return y


def _float_type(x):
    """(the torch dtype to compute in, whether x must be cast there and back)."""
    t = x.type().scalarType()
    if t == "Double":
        return torch.float64, False
    if t == "Float":
        return torch.float32, False
    if t in ("Half", "BFloat16"):
        return torch.float32, True
    raise RuntimeError(f"gem ONNX export: unsupported input type {t}; gem ops take float64, float32, float16, bfloat16")


FLOAT_MIN, FLOAT_MAX = float(torch.finfo(torch.float32).tiny), float(torch.finfo(torch.float32).max)


def _build(g, x, variant, N, eps, which, eps_value=None, channel_dim=1):
    dtype, cast = _float_type(x)
    if eps_value is None and dtype == torch.float32 and not FLOAT_MIN <= (1.0 if variant == "gem" else eps) <= FLOAT_MAX:
        dtype, cast = torch.float64, True  # spec 3.2: such an eps is evaluated in binary64, rounded once
    G = _Graph(g, dtype)
    to = 11 if dtype == torch.float64 else 1  # ONNX TensorProto: DOUBLE 11, FLOAT 1
    xin = g.op("Cast", x, to_i=to) if cast else x
    if eps_value is None:
        k = _constants_fixed(G, N, 1.0 if variant == "gem" else eps)
    else:
        e = g.op("Cast", eps_value, to_i=to)
        rank = sh._get_tensor_rank(x)
        e = _shape_eps(G, e, rank, channel_dim)
        k = _constants_tensor(G, N, e)
    y = _activation(G, xin, "segem" if variant == "segem" else "egem", N, k, which)
    if cast:
        y = g.op("Cast", y, to_i={"Float": 1, "Half": 10, "BFloat16": 16}[x.type().scalarType()])
    return y


def _shape_eps(G, e, rank, channel_dim):
    """eps (one value, or C values for channel_dim) reshaped to broadcast against x."""
    if rank is None:
        raise RuntimeError("gem ONNX export: a per-channel eps needs the rank of x to be known")
    if rank == 0:  # a 0-d x: eps holds one value
        return G.Reshape(e, G.g.op("Constant", value_t=torch.tensor([], dtype=torch.int64)))
    shape = [1] * rank
    shape[channel_dim % rank] = -1
    return G.Reshape(e, G.g.op("Constant", value_t=torch.tensor(shape, dtype=torch.int64)))


def _activation_args(args):
    """(variant, N, eps) from an op's trailing arguments: (variant, N, eps) or the spec overload's
    (spec,), which the tracer records under the same name."""
    if len(args) == 1:
        spec = sh._parse_arg(args[0], "s")
        kind, N, eps = torch.ops.gem.spec_fields(spec)
        if kind not in ("gem", "egem", "segem"):
            raise RuntimeError(f"gem ONNX export: '{spec}' is not a GEM-family spec")
        return kind, N, eps
    return sh._parse_arg(args[0], "s"), sh._parse_arg(args[1], "i"), sh._parse_arg(args[2], "f")


def _forward(g, x, *args):
    return _build(g, x, *_activation_args(args), 0)


def _backward(g, grad_out, x, *args):
    return g.op("Mul", grad_out, _build(g, x, *_activation_args(args), 1))


def _backward_grad2(g, grad, x, *args):
    return g.op("Mul", grad, _build(g, x, *_activation_args(args), 2))


@sh.parse_args("v", "s", "i", "v", "i")
def _forward_eps_tensor(g, x, variant, N, eps, channel_dim):
    return _build(g, x, variant, N, None, 0, eps_value=eps, channel_dim=channel_dim)


@sh.parse_args("v", "v", "s", "i", "f")
def _bias_forward(g, x, bias, variant, N, eps):
    return _build(g, g.op("Add", x, bias), variant, N, eps, 0)


def _glu(g, x, *args):
    """gem::glu_forward (variant, N, eps) or gem::glu (spec), which the tracer records as it is."""
    a, b = g.op("Split", x, axis_i=-1, outputs=2)  # two equal halves (opset 13's Split)
    return g.op("Mul", _build(g, a, *_activation_args(args), 0), b)


def _derivative(g, x, *args):
    k = sh._parse_arg(args[-1], "i")
    if k > 2:
        raise RuntimeError(f"gem::derivative of order {k} has no ONNX form (orders 0, 1 and 2 export); "
                           "export the model's forward pass instead")
    return _build(g, x, *_activation_args(args[:-1]), k)


def _training_only(name):
    def refuse(g, *args):
        raise RuntimeError(f"gem::{name} is a training op (gradients of a learnable eps) and has no ONNX form: "
                           "export the model in eval mode, without autograd")
    return refuse


def register(opset: int = OPSET) -> None:
    """Registers the symbolic functions (done on import of gem.onnx)."""
    table = {"forward": _forward, "backward": _backward, "backward_grad2": _backward_grad2,
             "forward_eps_tensor": _forward_eps_tensor, "bias_forward": _bias_forward, "glu_forward": _glu, "glu": _glu,
             "derivative": _derivative}
    for name in ("backward_eps_tensor", "backward_grad2_eps_tensor", "eps_tensor_grads", "eps_partial",
                 "bias_backward", "glu_backward"):
        table[name] = _training_only(name)
    for name, fn in table.items():
        torch.onnx.register_custom_op_symbolic(f"gem::{name}", fn, opset)


def export(model, args, path, opset_version: int = 17, **kwargs):
    """torch.onnx.export with the gem symbolic functions and the TorchScript-based exporter
    (dynamo=False where that argument exists), in eval mode and without autograd."""
    if opset_version < OPSET:
        raise ValueError(f"gem ONNX export needs opset_version >= {OPSET}, got {opset_version}")
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs.setdefault("dynamo", False)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(model, args, path, opset_version=opset_version, **kwargs)
    finally:
        model.train(was_training)


register()
