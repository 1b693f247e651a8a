"""Timing of device work: CUDA events around each repeat (host clock with a synchronize on CPU),
warm-up first, the median of the repeats."""
import statistics
import time

import torch


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ms(fn, device: torch.device, warmup: int = 3, repeats: int = 20) -> dict:
    """Median, min and max milliseconds of fn() over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    samples = []
    if device.type == "cuda":
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            samples.append(start.elapsed_time(end))
    else:
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "max_ms": max(samples),
            "repeats": repeats}


def gbps(bytes_moved: int, ms: float) -> float:
    """GB/s (1e9 bytes per second) for `bytes_moved` bytes read plus written in `ms`."""
    return bytes_moved / (ms * 1e-3) / 1e9 if ms > 0 else float("nan")
