"""Timing primitives: median time of a call on cpu (torch.utils.benchmark), cuda (events) or
npu (torch.npu.synchronize; torch_npu.profiler with ``profile_npu``), and the host's copy
bandwidth. Imports torch; torch_npu only inside the npu functions, never at import time.
"""

from __future__ import annotations

import os
import statistics
import time

import torch
from torch.utils import benchmark


def host_threads() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_torch_npu():
    """Import torch_npu on demand; only called when an npu device is requested."""
    import torch_npu  # noqa: F401  (registers torch.npu)

    return torch_npu


def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "npu":
        torch.npu.synchronize()


def median_us(fn, args, device: str, min_run_time: float) -> float:
    """Median microseconds per ``fn(*args)`` after one warm-up call."""
    return measure_us(fn, args, device, min_run_time)["median_us"]


def measure_us(fn, args, device: str, min_run_time: float) -> dict[str, float]:
    """median_us, min_us and iqr_us per ``fn(*args)`` over timed blocks, after a warm-up call."""
    fn(*args)
    synchronize(device)
    if device == "cuda":
        samples = _block_us_cuda_events(fn, args, min_run_time)
    elif device == "npu":
        samples = _block_us_synchronized(fn, args, device, min_run_time)
    else:
        timer = benchmark.Timer(stmt="fn(*args)", globals={"fn": fn, "args": args},
                                num_threads=torch.get_num_threads())
        measurement = timer.blocked_autorange(min_run_time=min_run_time)
        samples = [t * 1e6 for t in measurement.times]
    quartiles = statistics.quantiles(samples, n=4) if len(samples) > 1 else [samples[0]] * 3
    return {"median_us": statistics.median(samples), "min_us": min(samples),
            "iqr_us": quartiles[2] - quartiles[0]}


def _calls_per_block(fn, args, device: str, target_s: float = 1e-3) -> int:
    """Enough calls that one timed block lasts about ``target_s``."""
    start = time.perf_counter()
    fn(*args)
    synchronize(device)
    one = max(time.perf_counter() - start, 1e-7)
    return max(1, min(10_000, int(target_s / one)))


def _block_us_cuda_events(fn, args, min_run_time: float) -> list[float]:
    calls = _calls_per_block(fn, args, "cuda")
    samples, spent = [], 0.0
    while spent < min_run_time or len(samples) < 5:
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        for _ in range(calls):
            fn(*args)
        end.record()
        end.synchronize()
        block_ms = begin.elapsed_time(end)
        samples.append(block_ms * 1e3 / calls)
        spent += block_ms * 1e-3
    return samples


def _block_us_synchronized(fn, args, device: str, min_run_time: float) -> list[float]:
    calls = _calls_per_block(fn, args, device)
    samples, spent = [], 0.0
    while spent < min_run_time or len(samples) < 5:
        start = time.perf_counter()
        for _ in range(calls):
            fn(*args)
        synchronize(device)
        block_s = time.perf_counter() - start
        samples.append(block_s * 1e6 / calls)
        spent += block_s
    return samples


def profile_npu(fn, args, trace_dir: str, steps: int = 5) -> str:
    """Record ``steps`` calls with torch_npu.profiler (device kernel times) into ``trace_dir``."""
    torch_npu = load_torch_npu()
    prof = torch_npu.profiler
    activities = [prof.ProfilerActivity.CPU, prof.ProfilerActivity.NPU]
    schedule = prof.schedule(wait=0, warmup=1, active=steps, repeat=1)
    with prof.profile(activities=activities, schedule=schedule,
                      on_trace_ready=prof.tensorboard_trace_handler(trace_dir)) as session:
        for _ in range(steps + 1):
            fn(*args)
            torch.npu.synchronize()
            session.step()
    return trace_dir


def copy_bandwidth_gbps(device: str = "cpu", mib: int = 256, min_run_time: float = 0.5) -> float:
    """Achieved GB/s (bytes read + written) of ``dst.copy_(src)`` on a ``mib`` MiB buffer."""
    numel = mib * 2**20 // 4
    src = torch.rand(numel, device=device)
    dst = torch.empty_like(src)
    seconds = median_us(dst.copy_, (src,), device, min_run_time) * 1e-6
    return 2 * src.nbytes / seconds / 1e9
