"""The tests run against the gem package that Python imports: the installed one (pip install,
what CI tests, from a folder outside the checkout), or with GEM_TEST_SOURCE_TREE=1 the source
tree's python/gem with the CMake build's library (a quick loop while developing). Also reads the
golden values."""
import os
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
if os.environ.get("GEM_TEST_SOURCE_TREE") == "1":
    sys.path.insert(0, str(PYTHON_DIR))


def golden_csv_path() -> Path:
    env = os.environ.get("GEM_GOLDEN_CSV")
    return Path(env) if env else PYTHON_DIR.parent.parent / "shared" / "spec" / "golden.csv"


@pytest.fixture(scope="session")
def golden_rows():
    """Rows (variant, N, eps, x, f, df, d2f); float() reads the exact decimals correctly rounded."""
    path = golden_csv_path()
    if not path.is_file():
        pytest.fail(f"golden values not found at {path}; set GEM_GOLDEN_CSV")
    rows = []
    with open(path) as f:
        next(f)
        for line in f:
            v, n, eps, x, fx, dfx, d2fx = line.strip().split(",")
            rows.append((v, int(n), float(eps), float(x), float(fx), float(dfx), float(d2fx)))
    assert len(rows) == 5170
    return rows
