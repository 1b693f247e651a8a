"""gem.nn modules: repr, validation, learnable eps, state_dict, TorchScript, and training."""
import pytest
import torch
from torch import nn

import gem
from gem import functional as G


def test_repr_and_validation():
    assert repr(gem.nn.EGEM(1, 1e-4)) == "EGEM(N=1, eps=0.0001, learnable_eps=False)"
    assert repr(gem.nn.SEGEM(2, 0.25, learnable_eps=True)) == "SEGEM(N=2, eps=0.25, learnable_eps=True)"
    assert repr(gem.nn.GEM(3)) == "GEM(N=3)"
    assert repr(gem.nn.EGEM(1, 1e-4, learnable_eps=True)).startswith("EGEM(N=1, eps=")
    assert repr(gem.nn.Activation("gelu")) == "Activation(gelu)"
    with pytest.raises(ValueError, match=r"got 0"):
        gem.nn.EGEM(0)
    with pytest.raises(ValueError, match="GEM has no eps|SE-GEM eps must be finite"):
        gem.nn.SEGEM(1, -1.0)
    with pytest.raises(ValueError, match="needs eps"):
        gem.nn.Activation("egem:N=1")


def test_modules_match_functional():
    x = torch.linspace(-3, 3, 61)
    assert torch.equal(gem.nn.GEM(2)(x), G.gem(x, 2))
    assert torch.equal(gem.nn.EGEM(1, 1e-2)(x), G.egem(x, 1, 1e-2))
    assert torch.equal(gem.nn.SEGEM(2, 0.3)(x), G.segem(x, 2, 0.3))
    learn = gem.nn.EGEM(1, 0.5, learnable_eps=True)
    assert torch.equal(learn(x), G.egem(x, 1, torch.tensor(learn.eps)))


def test_learnable_eps_parameter_and_gradient():
    act = gem.nn.SEGEM(1, 0.1, learnable_eps=True)
    assert [n for n, _ in act.named_parameters()] == ["log_eps"]
    assert list(gem.nn.SEGEM(1, 0.1).parameters()) == []
    act(torch.linspace(-2, 0, 21)).sum().backward()
    assert act.log_eps.grad is not None and act.log_eps.grad.item() < 0  # dSE/deps < 0 for x < 0


def test_state_dict_round_trip():
    a = gem.nn.EGEM(2, 0.1, learnable_eps=True)
    with torch.no_grad():
        a.log_eps.fill_(-3.0)
    b = gem.nn.EGEM(2, 0.1, learnable_eps=True)
    b.load_state_dict(a.state_dict())
    assert b.eps == pytest.approx(a.eps)


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), gem.nn.EGEM(1, 0.01, learnable_eps=True), nn.Linear(16, 16),
                         gem.nn.SEGEM(2, 0.1), nn.Linear(16, 16), gem.nn.GEM(1), nn.Linear(16, 8),
                         gem.nn.Activation("gelu"), gem.nn.Activation("egem:N=1,eps=1e-4"), nn.Linear(8, 2))


def test_torchscript(tmp_path):
    model = make_model()
    scripted = torch.jit.script(model)
    x = torch.randn(5, 2)
    assert torch.equal(scripted(x), model(x))
    scripted(x).sum().backward()
    assert scripted[1].log_eps.grad is not None
    path = tmp_path / "model.pt"
    torch.jit.save(scripted, str(path))
    loaded = torch.jit.load(str(path))
    assert torch.equal(loaded(x), model(x))


def test_small_model_trains():
    """Two interleaved spirals, full batch, Adam: the loss falls and the points are separated."""
    torch.manual_seed(1)
    t = torch.linspace(0.5, 3.5, 128)
    a = torch.stack([t / 3.5 * torch.cos(2 * t), t / 3.5 * torch.sin(2 * t)], 1)
    x, labels = torch.cat([a, -a]), torch.cat([torch.zeros(128), torch.ones(128)]).long()
    model = nn.Sequential(nn.Linear(2, 32), gem.nn.EGEM(1, 0.01, learnable_eps=True), nn.Linear(32, 32),
                          gem.nn.SEGEM(1, 0.01, learnable_eps=True), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    initial = nn.functional.cross_entropy(model(x), labels).item()
    for _ in range(300):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
    with torch.no_grad():
        final = nn.functional.cross_entropy(model(x), labels).item()
        accuracy = (model(x).argmax(1) == labels).float().mean().item()
    assert final < 0.25 * initial
    assert accuracy > 0.95


class Block(nn.Module):
    """A custom module holding activations as attributes, in a list and in a dict."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.branches = nn.ModuleList([nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU(inplace=True)), nn.GELU()])
        self.heads = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Identity()})

    def forward(self, x):
        x = self.act(self.conv(x))
        x = self.branches[1](self.branches[0](x))
        return self.heads["b"](self.heads["a"](x))


def nested_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), Block(), nn.Sequential(Block(), nn.ReLU()),
                         nn.Flatten(), nn.Linear(4 * 8 * 8, 3))


def test_replace_activations_reaches_every_nested_submodule():
    model = nested_model()
    relus = sum(isinstance(m, nn.ReLU) for m in model.modules())
    assert relus == 2 + 3 * 2
    assert gem.replace_activations(model, "egem:N=1,eps=1e-4") == relus
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    replaced = [m for m in model.modules() if isinstance(m, gem.nn.EGEM)]
    assert len(replaced) == relus and len({id(m) for m in replaced}) == relus  # each its own module
    assert all((m.N, m.eps) == (1, 1e-4) for m in replaced)
    assert isinstance(model[2].branches[1], nn.GELU)  # other types are left alone
    x = torch.randn(2, 1, 8, 8)
    assert model(x).shape == (2, 3)
    # And it is the model's forward that now runs them.
    reference = nested_model()
    for m in reference.modules():
        for name, child in m.named_children():
            if isinstance(child, nn.ReLU):
                setattr(m, name, gem.nn.Activation("egem:N=1,eps=1e-4"))
    assert torch.equal(model(x), reference(x))


def test_replace_activations_module_types_and_learnable_eps():
    model = nested_model()
    assert gem.replace_activations(model, "gelu", types=(nn.GELU,)) == 2
    assert sum(isinstance(m, gem.nn.Activation) for m in model.modules()) == 2
    assert gem.replace_activations(model, "segem:N=2,eps=0.1", types=(nn.ReLU, gem.nn.Activation)) == 10
    assert gem.replace_activations(model, "gem:N=3", types=gem.nn.SEGEM) == 10  # a bare class is one type
    assert all(m.N == 3 for m in model.modules() if isinstance(m, gem.nn.GEM))
    # A callable makes each replacement: options a spec does not carry, such as a learnable eps.
    model = nested_model()
    assert gem.replace_activations(model, lambda: gem.nn.EGEM(N=1, eps=0.01, learnable_eps=True)) == 8
    log_eps = [p for n, p in model.named_parameters() if n.endswith("log_eps")]
    assert len(log_eps) == 8 and len({id(p) for p in log_eps}) == 8  # not shared
    assert all(torch.allclose(p.exp(), torch.tensor(0.01)) for p in log_eps)


@pytest.mark.parametrize("spec,types,error,match", [
    ("egem:N=1", (nn.ReLU,), ValueError, "needs eps"),
    ("swish", (nn.ReLU,), ValueError, "swish"),
    (None, (nn.ReLU,), TypeError, "spec must be an activation spec string"),
    ("relu", (), ValueError, "types must be a non-empty tuple"),
    ("relu", [nn.ReLU], ValueError, "types must be a non-empty tuple"),
    ("relu", (nn.ReLU, "gelu"), ValueError, "types must be a non-empty tuple"),
    ("relu", (int,), ValueError, "types must be a non-empty tuple"),
    (lambda: "egem", (nn.ReLU,), TypeError, "must return a torch.nn.Module"),
    (lambda: 1 / 0, (nn.ReLU,), ZeroDivisionError, "division"),
])
def test_replace_activations_errors_change_nothing(spec, types, error, match):
    model = nested_model()
    before = [type(m) for m in model.modules()]
    with pytest.raises(error, match=match):
        gem.replace_activations(model, spec, types=types)
    assert [type(m) for m in model.modules()] == before


def test_the_model_itself_is_not_replaced():
    act = nn.ReLU()
    assert gem.replace_activations(act, "egem:N=1,eps=1e-4") == 0
    wrapped = nn.Sequential(act)
    assert gem.replace_activations(wrapped, "egem:N=1,eps=1e-4") == 1 and isinstance(wrapped[0], gem.nn.EGEM)


def test_module_for():
    assert isinstance(gem.nn.module_for("gem:N=2"), gem.nn.GEM)
    assert repr(gem.nn.module_for("segem:N=1,eps=0.5")) == "SEGEM(N=1, eps=0.5, learnable_eps=False)"
    assert repr(gem.nn.module_for("leaky_relu:slope=0.2")) == "Activation(leaky_relu:slope=0.2)"
