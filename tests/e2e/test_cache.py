"""The kernel cache across processes, its validation, and the FX-graph-cache key (uuid) pitfall."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SCRIPT = r"""
import json, os, sys, torch
import inductor_npu_ext
from torch._dynamo.utils import counters
from benchmarks.fragments import rmsnorm
x, w = torch.randn(8, 512), torch.randn(512)
out = torch.compile(rmsnorm, dynamic=True)(x, w)
torch.testing.assert_close(out, rmsnorm(x, w))
print(json.dumps(dict(counters["inductor_npu_ext"])))
"""


def run(tmp_path: Path, kernels: str, inductor: str, target: str = "cpp", fx_cache: bool = False) -> dict:
    env = {**os.environ, "INDUCTOR_NPU_EXT_CACHE_DIR": str(tmp_path / kernels),
           "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / inductor), "INDUCTOR_NPU_EXT_TARGET": target,
           "INDUCTOR_NPU_EXT_STRICT": "1", "TORCHINDUCTOR_FX_GRAPH_CACHE": "1" if fx_cache else "0",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_second_process_loads_from_disk(tmp_path):
    first = run(tmp_path, "k", "i1")
    assert first["compiler_runs"] >= 1 and first["kernels_cpp"] >= 1
    second = run(tmp_path, "k", "i2")               # fresh Inductor cache: our codegen runs again
    assert second.get("compiler_runs", 0) == 0
    assert second["cache_hits"] >= 1


def test_corrupt_entry_is_rebuilt(tmp_path):
    run(tmp_path, "k", "i1")
    for so in (tmp_path / "k").rglob("kernel.so"):
        so.write_bytes(b"not a shared object")
    again = run(tmp_path, "k", "i2")
    assert again["compiler_runs"] >= 1               # validation failed, so it was rebuilt


def test_no_half_written_entries(tmp_path):
    run(tmp_path, "k", "i1")
    leftovers = [p for p in (tmp_path / "k").rglob(".tmp-*")]
    assert leftovers == []
    manifests = list((tmp_path / "k").rglob("manifest.json"))
    assert manifests and all(json.loads(m.read_text())["key"] == m.parent.name for m in manifests)


def test_fx_graph_cache_never_returns_stock_code(tmp_path):
    """A graph compiled by stock Inductor and cached must not be reused once we are active."""
    stock = run(tmp_path, "k", "shared", target="off", fx_cache=True)
    assert stock.get("kernels_cpp", 0) == 0
    ours = run(tmp_path, "k", "shared", target="cpp", fx_cache=True)
    assert ours["kernels_cpp"] >= 1


def test_concurrent_processes_compile_each_kernel_once(tmp_path):
    """torchrun-style ranks sharing a cache: the file lock lets one build and the other load."""
    env = {**os.environ, "INDUCTOR_NPU_EXT_CACHE_DIR": str(tmp_path / "k"), "INDUCTOR_NPU_EXT_TARGET": "cpp",
           "INDUCTOR_NPU_EXT_STRICT": "1", "TORCHINDUCTOR_FX_GRAPH_CACHE": "0", "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**env, "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / f"i{rank}")})
             for rank in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r.get("compiler_runs", 0) for r in results) == results[0]["kernels_cpp"]
    assert sum(r.get("cache_hits", 0) for r in results) == results[0]["kernels_cpp"]
