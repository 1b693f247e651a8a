"""The example a user copies (examples/python/fashion_mnist.py) runs as documented, against the
gem under test, on a small Fashion-MNIST-shaped dataset written here: it converts the model's
ReLUs, trains with progress on stderr, writes its JSON result, and names what is wrong with bad
data or a bad spec."""
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "fashion_mnist.py"


def idx_bytes(array: torch.Tensor) -> bytes:
    header = bytes([0, 0, 8, array.dim()]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.numpy().tobytes()


@pytest.fixture
def data(tmp_path):
    """Train 96 and test 40 images of the Fashion-MNIST format, gzipped as Debian ships them."""
    g = torch.Generator().manual_seed(0)
    for split, n in (("train", 96), ("t10k", 40)):
        labels = torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8)
        images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
        (tmp_path / f"{split}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
        (tmp_path / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return tmp_path


def run_example(*args, cwd):
    env = dict(os.environ)
    if os.environ.get("GEM_TEST_SOURCE_TREE") == "1":
        env["PYTHONPATH"] = str(EXAMPLE.parents[2] / "python")
    return subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def test_the_example_trains_a_converted_model(data, tmp_path):
    out = tmp_path / "results" / "run.json"
    done = run_example("--data", str(data), "--max-steps", "3", "--batch-size", "32", "--learnable-eps",
                       "--activation", "segem:N=2,eps=0.01", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "replaced 3 ReLU modules by segem:N=2,eps=0.01 (learnable eps)" in done.stderr
    assert "step 3/3" in done.stderr and "img/s" in done.stderr and "ETA" in done.stderr
    result = json.loads(out.read_text())
    assert result == json.loads(done.stdout)
    assert result["steps"] == 3 and result["replaced"] == 3 and result["learnable_eps"]
    assert 0.0 <= result["test_accuracy"] <= 1.0
    # One learnt eps per converted layer, moved off its start by the three steps.
    assert len(result["eps"]) == 3 and all(e > 0 and e != 0.01 for e in result["eps"])
    assert [p.name for p in out.parent.iterdir()] == ["run.json"]  # no temporary left beside it


@pytest.mark.parametrize("damage,message", [
    ("missing", "not found: install Debian's dataset-fashion-mnist"),
    ("truncated", "the file is truncated or corrupt"),
    ("not_gzip_complete", "is not a complete gzip file"),
])
def test_bad_data_is_named(data, tmp_path, damage, message):
    path = data / "train-images-idx3-ubyte.gz"
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-100]))
    else:
        path.write_bytes(path.read_bytes()[:200])
    done = run_example("--data", str(data), "--max-steps", "1", cwd=tmp_path)
    assert done.returncode != 0
    assert str(path) in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_spec_is_named(data, tmp_path):
    done = run_example("--data", str(data), "--activation", "egem:N=9,eps=1e-4", cwd=tmp_path)
    assert done.returncode != 0 and "error: --activation" in done.stderr and "Traceback" not in done.stderr
    done = run_example("--data", str(data), "--activation", "gelu", "--learnable-eps", cwd=tmp_path)
    assert done.returncode != 0 and "--learnable-eps needs an egem or segem spec" in done.stderr


BEAM = EXAMPLE.parent / "beam_pinn.py"


def test_the_fourth_order_example_learns():
    """The physics-informed beam needs u'''' through the network: autograd of order 4 (plus
    the gradient of the loss: 5) through the gem ops."""
    env = dict(os.environ)
    if os.environ.get("GEM_TEST_SOURCE_TREE") == "1":
        env["PYTHONPATH"] = str(EXAMPLE.parents[2] / "python")
    done = subprocess.run([sys.executable, str(BEAM), "--steps", "120"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["steps"] == 120 and result["final_loss"] < 0.1  # starts near 1: u'''' = 0 at init, q wanted
    bad = subprocess.run([sys.executable, str(BEAM), "--activation", "egem:N=1"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode != 0 and "error: --activation" in bad.stderr and "Traceback" not in bad.stderr
