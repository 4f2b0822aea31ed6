"""Benchmark the DeepSeek-V4 fragments: eager vs stock Inductor vs ours, each in its own process.

    python benchmarks/run.py [--quick] [--json PATH] [--plot PATH] [--fragments ...] [--T ...]
                             [--modes ...] [--targets ...] [--dtypes ...] [--dynamic ...]

Every (mode, target) runs in worker processes (``--worker SPEC --out ROWS``, see worker.py) with
INDUCTOR_NPU_EXT_TARGET=off for eager and stock Inductor and =<target> for ours: a cold pass in
fresh cache directories (timings, correctness, kernel counts, cold compile time), then a warm
pass in a fresh process with those caches kept (warm compile time, compiler_runs, re-check).
Prints a markdown table, writes ``{"meta": ..., "rows": [...]}`` as JSON and optionally a chart.
Imports benchmarks.{report,timing,worker,fragments} (so torch); inductor_npu_ext only in workers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import tempfile
import shutil
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:  # run as a script: make `benchmarks` importable as a package
    sys.path.insert(0, REPO_ROOT)

from benchmarks import report  # noqa: E402

MODES = ("eager", "inductor", "ours")
TARGETS_BY_DEVICE = {"cpu": ["cpp", "ascendc-sim"], "cuda": ["triton"], "npu": ["ascendc"]}
EMULATION_TARGETS = {"ascendc-sim"}
ALL_T = [1, 16, 128, 1024, 4096]
QUICK = {"fragments": ["hc_post", "rmsnorm", "hc_pre_norm_part", "hc_mix", "swiglu"],
         "T": [1, 128], "min_run_time": 0.1, "sim_max_T": 16}
FULL = {"T": ALL_T, "min_run_time": 0.5, "sim_max_T": 128}


@dataclasses.dataclass
class Group:
    """One (mode, target) and its cases; each pass of it is one or more worker processes."""

    mode: str
    target: str | None
    cases: list[dict]


# --------------------------------------------------------------------------- CLI
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="a subset that finishes in minutes on 2 cores")
    add("--json", metavar="PATH", help="write rows as JSON here")
    add("--plot", metavar="PATH", help="write a PNG chart of speedup over eager (matplotlib)")
    add("--fragments", nargs="+", help="names, optionally with builder args: rmsnorm:N=128")
    add("--T", nargs="+", type=int, help=f"token counts (default {ALL_T})")
    add("--modes", nargs="+", choices=MODES, default=list(MODES))
    add("--targets", nargs="+", help="ours targets (default by device: cpu -> cpp ascendc-sim)")
    add("--dtypes", nargs="+", choices=["bf16", "fp32", "fp16"], default=["bf16"])
    add("--dynamic", nargs="+", choices=["false", "true"], default=["false", "true"])
    add("--device", choices=sorted(TARGETS_BY_DEVICE), default="cpu")
    add("--threads", type=int, help="torch threads in every worker (default: the host's cores)")
    add("--profile", metavar="DIR", help="npu only: torch_npu.profiler traces per case")
    add("--min-run-time", type=float, help="seconds of timing per case (quick 0.1, full 0.5)")
    add("--sim-max-T", type=int, help="largest T for emulation targets (quick 16, full 128)")
    add("--case-timeout", type=float, default=900.0, help="seconds per case before a worker dies")
    add("--keep-cache", action="store_true", help="keep the cache directories (paths in JSON)")
    add("--verbose", action="store_true", help="echo worker output to stderr")
    add("--worker", metavar="SPEC", help=argparse.SUPPRESS)
    add("--out", metavar="ROWS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return fill_defaults(args)


def fill_defaults(args: argparse.Namespace) -> argparse.Namespace:
    from benchmarks.fragments import FRAGMENTS

    preset = QUICK if args.quick else {**FULL, "fragments": list(FRAGMENTS)}
    for name in ("fragments", "T", "min_run_time", "sim_max_T"):
        if getattr(args, name) is None:
            setattr(args, name, preset[name])
    args.targets = args.targets or TARGETS_BY_DEVICE[args.device]
    return args


# --------------------------------------------------------------------------- plan
def plan_cases(args) -> list[dict]:
    return [{"fragment": fragment, "T": T, "dtype": dtype, "dynamic": dynamic == "true"}
            for fragment in args.fragments for T in args.T for dtype in args.dtypes
            for dynamic in args.dynamic]


def plan_groups(args) -> list[Group]:
    cases = plan_cases(args)
    groups = [Group(mode, "off" if mode == "inductor" else None, cases)
              for mode in ("eager", "inductor") if mode in args.modes]
    if "ours" in args.modes:
        for target in args.targets:
            small = [c for c in cases if c["T"] <= args.sim_max_T]
            groups.append(Group("ours", target, small if target in EMULATION_TARGETS else cases))
    return groups


# --------------------------------------------------------------------------- workers
def worker_env(group: Group) -> dict:
    """The caller's environment with the target chosen, Inductor's caches on (the warm pass
    measures them) and strict mode off (a fallback is counted and noted, not raised)."""
    env = dict(os.environ)
    env["INDUCTOR_NPU_EXT_TARGET"] = group.target if group.mode == "ours" else "off"
    env["INDUCTOR_NPU_EXT_STRICT"] = "0"
    env["TORCHINDUCTOR_FX_GRAPH_CACHE"] = "1"
    env["TORCHINDUCTOR_AUTOGRAD_CACHE"] = "1"
    return env


def run_worker(spec: dict, env: dict, workdir: str, args) -> tuple[list[dict], str | None]:
    """One worker process; its rows and, if it died, why."""
    spec_path = os.path.join(workdir, "spec.json")
    rows_path = os.path.join(workdir, "rows.jsonl")
    with open(spec_path, "w") as handle:
        json.dump(spec, handle)
    open(rows_path, "w").close()
    command = [sys.executable, os.path.abspath(__file__), "--worker", spec_path, "--out", rows_path]
    timeout = args.case_timeout * len(spec["cases"]) + 120
    try:
        proc = subprocess.run(command, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout)
        output = proc.stdout.decode(errors="replace")
        died = f"worker exit code {proc.returncode}" if proc.returncode else None
    except subprocess.TimeoutExpired as exc:
        output = (exc.output or b"").decode(errors="replace")
        died = f"worker timed out after {timeout:.0f}s"
    if args.verbose:
        sys.stderr.write(output)
    with open(rows_path) as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    if not died:
        return rows, None
    last = (output.strip().splitlines() or ["(no output)"])[-1]
    return rows, f"{died}: {last}\n...{output[-400:]}"


def run_pass(group: Group, pass_name: str, cache_root: str, args) -> list[dict]:
    """All cases of a group in one pass; a crashed case is recorded and the rest re-run."""
    from benchmarks.worker import base_row, case_key

    remaining, rows = list(group.cases), []
    while remaining:
        spec = {"mode": group.mode, "target": group.target, "pass": pass_name,
                "device": args.device, "threads": args.threads, "cases": remaining,
                "min_run_time": args.min_run_time, "cache_root": cache_root,
                "profile_dir": args.profile}
        with tempfile.TemporaryDirectory(prefix="bench-worker-") as workdir:
            got, died = run_worker(spec, worker_env(group), workdir, args)
        rows += got
        done = {case_key(r) for r in got}
        remaining = [c for c in remaining if case_key(c) not in done]
        if remaining:  # the first unfinished case is the one that killed the worker
            rows.append(base_row(spec, remaining.pop(0), died or "worker ended early"))
    return rows


def merge_warm(cold: list[dict], warm: list[dict]) -> list[dict]:
    """Fold the warm pass (compile time, compiler_runs, re-check) into the cold rows."""
    from benchmarks.worker import case_key

    warm_by_key = {case_key(r): r for r in warm}
    for row in cold:
        row["compile_cold_s"] = row.pop("compile_s", None)
        again = warm_by_key.get(case_key(row), {})
        row["compile_warm_s"] = again.get("compile_s")
        row["compiler_runs_warm"] = again.get("compiler_runs")
        row["fxgraph_cache_hit_warm"] = again.get("fxgraph_cache_hit")
        row["warm_ok"] = again.get("ok")
        row["warm_error"] = again.get("error")
    return cold


def run_group(group: Group, cache_base: str, args) -> list[dict]:
    label = group.mode if group.mode != "ours" else f"ours-{group.target}"
    cache_root = os.path.join(cache_base, label)
    start = time.perf_counter()
    rows = run_pass(group, "cold", cache_root, args)
    if group.mode != "eager":
        rows = merge_warm(rows, run_pass(group, "warm", cache_root, args))
    print(f"[{label}] {len(rows)} cases in {time.perf_counter() - start:.0f}s", file=sys.stderr)
    return rows


# --------------------------------------------------------------------------- annotate
def annotate(row: dict, copy_gbps: float | None) -> dict:
    """Add emulation, served, GB/s and the human note to a merged row."""
    row["emulation"] = row["target"] in EMULATION_TARGETS
    if row.get("median_us") and row.get("bytes") and copy_gbps:
        row["gbps"] = row["bytes"] / (row["median_us"] * 1e-6) / 1e9
        row["pct_copy_bw"] = 100.0 * row["gbps"] / copy_gbps
    if row["mode"] == "ours" and not row.get("error"):
        row["served"] = (bool(row.get("kernels")) and not row.get("fallbacks")
                         and not row.get("stock_kernels"))
    if row.get("warm_ok") is False and not row.get("warm_error"):
        row["ok"] = False  # a warm start must give the same right answer
    row["note"] = "; ".join(row_notes(row))
    return row


def first_line(text: str, limit: int = 140) -> str:
    return " ".join(text.strip().splitlines()[:1])[:limit]


def row_notes(row: dict) -> list[str]:
    from benchmarks.worker import kernel_counter

    if row.get("error"):
        return [f"ERR {first_line(row['error'])}"]
    notes = []
    if not row.get("ok"):
        err = row.get("max_abs_err")
        what = "shape/dtype differs from eager" if err is None else f"max_abs_err={err:.3g}"
        notes.append(f"FAIL {what}, tol(atol,rtol)={row.get('tol')}")
    if row.get("served") is False:
        notes.append(f"not served: {kernel_counter(row['target'])}={row.get('kernels')}, "
                     f"fallbacks={row.get('fallbacks', 0)}, "
                     f"stock kernels in code={row.get('stock_kernels')}")
    if row.get("compiler_runs_warm"):
        notes.append(f"warm compiler_runs={row['compiler_runs_warm']}")
    if row.get("warm_error"):
        notes.append(f"warm pass ERR {first_line(row['warm_error'])}")
    if row.get("graph_breaks"):
        notes.append(f"graph_breaks={row['graph_breaks']}")
    return notes


# --------------------------------------------------------------------------- main
def torch_threads(count: int) -> None:
    import torch

    torch.set_num_threads(count)


def host_meta(args, copy_gbps: float | None) -> dict:
    import torch

    return {"device": args.device, "threads": args.threads, "torch": torch.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
            "copy_bandwidth_gbps": copy_gbps, "quick": args.quick,
            "min_run_time": args.min_run_time, "targets": args.targets}


def device_problem(device: str) -> str | None:
    """Why the requested device cannot be benchmarked here, or None."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        return "torch.cuda.is_available() is False"
    if device == "npu":
        from benchmarks import timing

        try:
            timing.load_torch_npu()
        except ImportError as exc:
            return f"needs torch_npu ({exc})"
        if not torch.npu.is_available():
            return "torch.npu.is_available() is False"
    return None


def busy_warning(load_before: float, load_after: float, threads: int) -> str | None:
    """Other work on the host skews every timing: a parallel kernel's OpenMP barrier waits out
    whole scheduler slices (measured here: stock rmsnorm T=1 at 18 us idle, 24 ms beside one
    busy process on 2 cores). The last worker itself adds about 1 to ``load_after``."""
    if load_before < 0.5 and load_after < 1.5:
        return None
    hint = "rerun on an idle host" + (", or with --threads 1" if threads > 1 else "")
    return (f"WARNING: load average {load_before:.2f} before / {load_after:.2f} after the run "
            f"(torch threads {threads}): other processes were busy and parallel kernels wait out "
            f"scheduler slices; timings are unreliable ({hint}).")


def write_outputs(rows: list[dict], meta: dict, args) -> None:
    print(report.markdown_table(rows, meta["copy_bandwidth_gbps"]))
    if meta["busy_warning"]:
        print(meta["busy_warning"])
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"meta": meta, "rows": rows}, handle, indent=1)
    if args.plot:
        print(report.plot_speedups(rows, args.plot), file=sys.stderr)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        from benchmarks import worker

        return worker.main(args.worker, args.out)
    from benchmarks import timing

    args.threads = args.threads or timing.host_threads()
    torch_threads(args.threads)
    problem = device_problem(args.device)
    if problem:
        print(f"--device {args.device}: {problem}", file=sys.stderr)
        return 2
    start, load_before = time.perf_counter(), os.getloadavg()[0]
    copy_gbps = timing.copy_bandwidth_gbps(args.device)
    cache_base = tempfile.mkdtemp(prefix="inductor-npu-ext-bench-")
    try:
        rows = [r for group in plan_groups(args) for r in run_group(group, cache_base, args)]
    finally:
        if not args.keep_cache:
            shutil.rmtree(cache_base, ignore_errors=True)
    rows = [annotate(row, copy_gbps) for row in rows]
    meta = {**host_meta(args, copy_gbps), "wall_s": time.perf_counter() - start,
            "cache_dir": cache_base if args.keep_cache else None, "loadavg_before": load_before,
            "loadavg_after": os.getloadavg()[0]}
    meta["busy_warning"] = busy_warning(load_before, meta["loadavg_after"], args.threads)
    write_outputs(rows, meta, args)
    print(f"total {meta['wall_s']:.0f}s", file=sys.stderr)
    return 1 if any(not r["ok"] and not r.get("error") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
