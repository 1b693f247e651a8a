"""python -m gem: what is installed. Prints the version, the library's path, the torch it was
built against and the one running, the SIMD target of the CPU kernels and whether the CUDA
kernels are present (and usable here)."""
import json

import torch

import gem
from gem import _library


def main() -> None:
    info = json.loads(torch.ops.gem.build_info())
    cuda = "yes" if info["cuda"] else "no (a CPU build)"
    if info["cuda"]:
        cuda += f", {'usable: ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU here'}"
    print(f"gem {gem.__version__}")
    print(f"  library       {_library.load()}")
    print(f"  torch         built against {info['torch_version']}, running {torch.__version__}")
    print(f"  CPU kernels   SIMD target {info['simd_target']}")
    print(f"  CUDA kernels  {cuda}")


if __name__ == "__main__":
    main()
