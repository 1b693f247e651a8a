"""The package as a user gets it: installed, importable from anywhere, saying what it is, and
refusing a library built for another torch with an ImportError instead of a crash."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import gem
from gem import _library

SOURCE_TREE = Path(__file__).resolve().parents[2]


def run_python(code, env=None, cwd="/"):
    """A fresh interpreter that imports the gem under test (the source tree's, if that is it)."""
    base = dict(os.environ)
    if os.environ.get("GEM_TEST_SOURCE_TREE") == "1":
        base["PYTHONPATH"] = str(SOURCE_TREE / "python")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**base, **(env or {})}, timeout=120)


@pytest.mark.skipif(os.environ.get("GEM_EXPECT_INSTALLED") != "1", reason="testing the source tree")
def test_the_installed_package_is_the_one_under_test():
    package = Path(gem.__file__).resolve().parent
    assert package != SOURCE_TREE / "python" / "gem", f"imported {package}: the source tree, not the installed copy"
    assert Path(_library.load()).parent == package  # its own library, no environment variable
    assert (package / "gem_torch_build.json").is_file()
    # From any folder, without PYTHONPATH or GEM_TORCH_LIBRARY.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GEM_TORCH_LIBRARY")}
    done = subprocess.run([sys.executable, "-m", "gem"], capture_output=True, text=True, cwd="/tmp", env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"gem {gem.__version__}" in done.stdout and "SIMD target" in done.stdout


def test_version_and_build_info():
    info = json.loads(torch.ops.gem.build_info())
    assert gem.__version__ == info["version"]
    assert tuple(int(p) for p in gem.__version__.split(".")) >= (0, 1, 0)
    assert _library.release(info["torch_version"]) == _library.release(torch.__version__)
    assert info["cuda"] in (True, False) and info["simd_target"]
    assert _library.release("2.11.0+cu130") == (2, 11, 0) and _library.release("1.13.0a0+gitunknown") == (1, 13, 0)


def test_a_library_built_for_another_torch_is_an_import_error(tmp_path):
    lib = Path(_library.load())
    for f in lib.parent.iterdir():
        if f.name.startswith(("libgem_torch", "libhwy")):
            shutil.copy2(f, tmp_path / f.name)
    recorded = lib.with_name("gem_torch_build.json")
    record = json.loads(recorded.read_text()) if recorded.is_file() else {}
    record["torch_version"] = "0.0.1"
    (tmp_path / "gem_torch_build.json").write_text(json.dumps(record))
    done = run_python("import gem", env={"GEM_TORCH_LIBRARY": str(tmp_path / lib.name)})
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "was built against torch 0.0.1" in done.stderr
    assert "rebuild it against this torch" in done.stderr
    # A file that is not a library at all: an ImportError too, not a crash.
    junk = tmp_path / "junk" / "libgem_torch.so"
    junk.parent.mkdir()
    junk.write_text("not a library")
    done = run_python("import gem", env={"GEM_TORCH_LIBRARY": str(junk)})
    assert done.returncode == 1 and "ImportError: cannot load" in done.stderr
