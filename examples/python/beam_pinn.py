"""A physics-informed network for a fourth-order equation: the Euler-Bernoulli beam.

    u''''(x) = q on [0, 1],   u(0) = u(1) = 0,   u''(0) = u''(1) = 0     (simply supported, load q)
    exact:   u(x) = q (x - 2 x^3 + x^4) / 24

The loss needs u'''' of the network, a fourth derivative through every activation: the
activation must be at least C^4 (GEM with N >= 2 is C^(2N)), and autograd must go to order 4
(gem's ops do, to any order, through gem::derivative). ReLU's fourth derivative is 0 almost
everywhere, so a ReLU network cannot fit it at all; E-GEM with N = 1 is only C^2.

    python3 examples/python/beam_pinn.py                       # GEM N=2, 2000 steps
    python3 examples/python/beam_pinn.py --activation segem:N=3,eps=0.1 --steps 4000

Prints progress to stderr and the result (final loss, largest error against the exact solution
relative to its maximum) as JSON to stdout.
"""
import argparse
import json
import sys
import time

import torch
from torch import nn

import gem


def derivative(u, x, order):
    """d^order u / dx^order by nested autograd (create_graph keeps each level differentiable)."""
    for _ in range(order):
        (u,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    return u


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--activation", default="gem:N=2", help="a gem spec (C^4 or smoother: N >= 2)")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--points", type=int, default=64, help="collocation points per step")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--load", type=float, default=24.0, help="q (24 makes max |u| = 5/16)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.steps < 1 or args.width < 1 or args.points < 2:
        ap.error("--steps, --width >= 1 and --points >= 2")

    torch.manual_seed(args.seed)
    act = lambda: gem.nn.module_for(args.activation)  # noqa: E731  (ValueError for a bad spec)
    try:
        act()
    except ValueError as e:
        raise SystemExit(f"error: --activation: {e}")
    net = nn.Sequential(nn.Linear(1, args.width), act(), nn.Linear(args.width, args.width), act(),
                        nn.Linear(args.width, 1)).double()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    ends = torch.tensor([[0.0], [1.0]], dtype=torch.float64, requires_grad=True)
    q = args.load
    start, loss = time.perf_counter(), None
    for step in range(1, args.steps + 1):
        x = torch.rand(args.points, 1, dtype=torch.float64, requires_grad=True)
        residual = derivative(net(x), x, 4) - q
        u_ends = net(ends)
        boundary = u_ends.square().sum() + derivative(u_ends, ends, 2).square().sum()
        loss = residual.square().mean() / q**2 + boundary
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(1, args.steps // 20) == 0 or step == args.steps:
            rate = step / (time.perf_counter() - start)
            print(f"\rstep {step}/{args.steps}  loss {loss.item():.3e}  {rate:.0f} steps/s  "
                  f"ETA {(args.steps - step) / rate:4.0f} s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)

    grid = torch.linspace(0, 1, 201, dtype=torch.float64).unsqueeze(1)
    with torch.no_grad():
        exact = q * (grid - 2 * grid**3 + grid**4) / 24
        error = (net(grid) - exact).abs().max().item() / exact.abs().max().item()
    print(json.dumps({"activation": args.activation, "steps": args.steps, "final_loss": loss.item(),
                      "max_error_relative": error, "seconds": round(time.perf_counter() - start, 1)}, indent=2))


if __name__ == "__main__":
    main()
