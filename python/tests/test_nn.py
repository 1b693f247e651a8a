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
