"""One benchmark worker process: runs a list of cases in a single mode (eager, stock inductor or
ours with one target) and appends one JSON row per case to a JSON-lines file.

run.py starts it as ``python benchmarks/run.py --worker SPEC.json --out ROWS.jsonl`` with
INDUCTOR_NPU_EXT_TARGET already set, so each mode and target lives in a clean process.
Imports torch, benchmarks.fragments and benchmarks.timing; inductor_npu_ext only in mode
``ours``; torch_npu only when the device is npu.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import time
import traceback

import torch
from torch._dynamo.utils import counters

from benchmarks import timing
from benchmarks.fragments import FRAGMENTS, make_inputs

DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32, "fp16": torch.float16}
EXT_GROUP = "inductor_npu_ext"  # torch._dynamo.utils.counters group written by the backend


def kernel_counter(target: str) -> str:
    """The backend's per-target kernel counter: kernels_cpp, kernels_ascendc_sim, ..."""
    return "kernels_" + target.replace("-", "_")


def parse_fragment(spec: str) -> tuple[str, dict]:
    """'rmsnorm:N=128,weight_dtype=fp32' -> ('rmsnorm', {'N': 128, 'weight_dtype': torch.float32})."""
    name, _, params = spec.partition(":")
    if name not in FRAGMENTS:
        raise KeyError(f"unknown fragment {name!r}; known: {', '.join(FRAGMENTS)}")
    kw = {}
    for item in filter(None, params.split(",")):
        key, _, value = item.partition("=")
        kw[key] = _parse_value(value)
    return name, kw


def _parse_value(value: str):
    if value in DTYPES:
        return DTYPES[value]
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return int(value) if value.lstrip("-").isdigit() else value


def case_key(case: dict) -> str:
    """A file-name-safe id of one case; also the key that pairs cold and warm rows."""
    dyn = "dyn" if case["dynamic"] else "static"
    raw = f"{case['fragment']}-T{case['T']}-{case['dtype']}-{dyn}"
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", raw)


# --------------------------------------------------------------------------- checks
def _flatten(value) -> list:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def compare(actual, expected, tol: tuple[float, float]) -> tuple[float | None, bool]:
    """Max abs error over all outputs and whether every output passes allclose(atol, rtol);
    (None, False) when an output's shape or dtype differs from eager's."""
    atol, rtol = tol
    worst, ok = 0.0, True
    for got, want in zip(_flatten(actual), _flatten(expected), strict=True):
        if got.shape != want.shape or got.dtype != want.dtype:
            return None, False
        got, want = got.float().cpu(), want.float().cpu()
        worst = max(worst, (got - want).abs().max().item() if got.numel() else 0.0)
        ok = ok and torch.allclose(got, want, atol=atol, rtol=rtol)
    return worst, ok


def tensor_bytes(args, out) -> int:
    """Bytes read + written by a fragment at the minimum: every input and output once."""
    tensors = [t for t in (*args, *_flatten(out)) if isinstance(t, torch.Tensor)]
    return sum(t.nbytes for t in tensors)


# --------------------------------------------------------------------------- compile
def use_case_cache(cache_root: str, key: str) -> None:
    """Point Inductor's and our cache at this case's own directories, dropping in-memory caches.

    The backend reads INDUCTOR_NPU_EXT_CACHE_DIR once at import, so its ``config.cache_dir`` is
    set too; an ``inductor_npu_ext.clear_caches()``, where the backend has one, drops its
    in-process memo of loaded kernels."""
    ext_dir = os.path.join(cache_root, key, "ext")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(cache_root, key, "inductor")
    os.environ["INDUCTOR_NPU_EXT_CACHE_DIR"] = ext_dir
    config = sys.modules.get("inductor_npu_ext.config")
    if config is not None and hasattr(config, "cache_dir"):
        config.cache_dir = ext_dir
    backend = sys.modules.get("inductor_npu_ext")
    if backend is not None and callable(getattr(backend, "clear_caches", None)):
        backend.clear_caches()
    from torch._inductor.utils import clear_caches

    clear_caches()
    torch._dynamo.reset()


def snapshot() -> dict:
    from torch._inductor import metrics

    return {"stock_kernels": metrics.generated_kernel_count,
            "ext": dict(counters[EXT_GROUP]),
            "fxgraph_cache_hit": counters["inductor"]["fxgraph_cache_hit"],
            "graph_breaks": sum(counters["graph_break"].values())}


def delta(before: dict, after: dict) -> dict:
    ext = {k: v - before["ext"].get(k, 0) for k, v in after["ext"].items()}
    out = {k: after[k] - before[k] for k in ("stock_kernels", "fxgraph_cache_hit", "graph_breaks")}
    out["ext"] = {k: v for k, v in ext.items() if v}
    return out


def compile_and_call(fn, args, dynamic: bool, device: str):
    """torch.compile, first call timed (compile + one run).

    Returns (compiled, out, seconds, wrapper sources); Inductor hands the source over on FX-cache
    hits too."""
    from torch._inductor.utils import run_and_get_code

    compiled = torch.compile(fn, dynamic=dynamic)

    def first_call():
        result = compiled(*args)
        timing.synchronize(device)
        return result

    start = time.perf_counter()
    out, sources = run_and_get_code(first_call)
    return compiled, out, time.perf_counter() - start, sources


STOCK_KERNEL_DEF = re.compile(r"^(\w+) = async_compile\.\w+\(", re.MULTILINE)


def count_stock_kernels(sources: list[str]) -> int:
    """Kernels stock Inductor generated: names bound to async_compile.* in the wrapper code.

    torch 2.13's metrics.generated_kernel_count over-counts on cpu (3 for the one dynamic
    hc_post kernel: it counts each vectorised/scalar variant), so it is only kept for reference."""
    return len({name for code in sources for name in STOCK_KERNEL_DEF.findall(code)})


def kernel_fields(spec: dict, change: dict, sources: list[str]) -> dict:
    """kernels (ours: the target's counter; stock: kernels defined in the code) + raw counters."""
    fields = {"stock_kernels": count_stock_kernels(sources),
              "generated_kernel_count": change["stock_kernels"], "ext_counters": change["ext"],
              "fxgraph_cache_hit": change["fxgraph_cache_hit"],
              "graph_breaks": change["graph_breaks"]}
    if spec["mode"] == "ours":
        fields["kernels"] = change["ext"].get(kernel_counter(spec["target"]), 0)
        fields["fallbacks"] = change["ext"].get("fallbacks", 0)
        fields["compiler_runs"] = change["ext"].get("compiler_runs", 0)
    else:
        fields["kernels"] = fields["stock_kernels"]
    return fields


# --------------------------------------------------------------------------- one case
def base_row(spec: dict, case: dict, error: str | None = None) -> dict:
    """The keys every row carries, filled in by measure_case when the case runs."""
    return {**case, "mode": spec["mode"], "target": spec["target"], "pass": spec["pass"],
            "device": spec["device"], "threads": spec["threads"], "median_us": None,
            "kernels": None, "max_abs_err": None, "ok": False, "error": error}


def run_case(spec: dict, case: dict) -> dict:
    row = base_row(spec, case)
    try:
        row.update(measure_case(spec, case))
    except Exception as exc:  # one broken case must not end the run
        traceback.print_exc()
        row["error"] = f"{type(exc).__name__}: {exc}"[:600]
    return row


def measure_case(spec: dict, case: dict) -> dict:
    name, kw = parse_fragment(case["fragment"])
    fragment = FRAGMENTS[name]
    args = make_inputs(name, case["T"], DTYPES[case["dtype"]], device=spec["device"], **kw)
    with torch.no_grad():
        expected = fragment.fn(*args)
        fields, fn, out = run_mode(spec, case, fragment.fn, args)
        tol = fragment.tolerance(DTYPES[case["dtype"]])
        err, ok = compare(out, expected, tol)
        fields.update(max_abs_err=err, ok=ok, tol=list(tol), bytes=tensor_bytes(args, expected),
                      memory_bound=fragment.memory_bound)
        if spec["pass"] == "cold":
            fields.update(timing.measure_us(fn, args, spec["device"], spec["min_run_time"]))
            fields["loadavg"] = os.getloadavg()[0]
            fields.update(maybe_profile(spec, case, fn, args))
    return fields


def run_mode(spec: dict, case: dict, fn, args):
    """Eager: a second eager call (checked against the first). Else compile in fresh caches."""
    if spec["mode"] == "eager":
        return {}, fn, fn(*args)
    use_case_cache(spec["cache_root"], case_key(case))
    before = snapshot()
    compiled, out, seconds, sources = compile_and_call(fn, args, case["dynamic"], spec["device"])
    fields = kernel_fields(spec, delta(before, snapshot()), sources)
    fields["compile_s"] = seconds
    return fields, compiled, out


def maybe_profile(spec: dict, case: dict, fn, args) -> dict:
    if not (spec.get("profile_dir") and spec["device"] == "npu"):
        return {}
    trace_dir = os.path.join(spec["profile_dir"], f"{spec['mode']}-{spec['target']}", case_key(case))
    return {"profile_dir": timing.profile_npu(fn, args, trace_dir)}


# --------------------------------------------------------------------------- process
def import_backend() -> str | None:
    """Import inductor_npu_ext; the reason it cannot serve, or None when it imported."""
    try:
        module = importlib.import_module("inductor_npu_ext")
    except Exception as exc:
        return f"import inductor_npu_ext failed: {type(exc).__name__}: {exc}"[:600]
    if getattr(module, "__file__", None) is None:
        return "inductor_npu_ext is an empty namespace package (no __init__.py): backend not built"
    return None


def _warm_up_fn(x):
    return (x * 2 + 1).sum(-1)


def warm_up(spec: dict) -> None:
    """Pay the once-per-process costs (imports, compiler workers) outside the measured cases."""
    use_case_cache(spec["cache_root"], "_warm_up")
    try:
        compile_and_call(_warm_up_fn, (torch.rand(8, 64, device=spec["device"]),), False,
                         spec["device"])
    except Exception as exc:
        print(f"worker warm-up compile failed: {type(exc).__name__}: {exc}", file=sys.stderr)


def main(spec_path: str, out_path: str) -> int:
    with open(spec_path) as handle:
        spec = json.load(handle)
    torch.set_num_threads(spec["threads"])
    if spec["device"] == "npu":
        timing.load_torch_npu()
    reason = import_backend() if spec["mode"] == "ours" else None
    if spec["mode"] != "eager" and reason is None:
        warm_up(spec)
    with open(out_path, "a") as out:
        for case in spec["cases"]:
            row = run_case(spec, case) if reason is None else base_row(spec, case, reason)
            out.write(json.dumps(row) + "\n")
            out.flush()
    return 0
