"""Print our counters per fragment: each fragment compiled with dynamic=True and called at
T = 1, 2, 3, 64, 1000 in fresh caches, strict mode, per CPU target.

    python benchmarks/counters.py [--targets cpp ascendc-sim] [--D 4096]

Imports torch, inductor_npu_ext and benchmarks.fragments."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("INDUCTOR_NPU_EXT_CACHE_DIR", tempfile.mkdtemp(prefix="npu_ext_counters_"))
os.environ.setdefault("TORCHINDUCTOR_FORCE_DISABLE_CACHES", "1")

import torch  # noqa: E402
from torch._dynamo.testing import CompileCounterWithBackend  # noqa: E402
from torch._dynamo.utils import counters  # noqa: E402

import inductor_npu_ext  # noqa: E402
from benchmarks.fragments import FRAGMENTS, make_inputs  # noqa: E402

CASES = [("hc_post", {}), ("rmsnorm", {}), ("rmsnorm", {"N": 128, "weight_dtype": torch.float32}),
         ("hc_pre_norm_part", {}), ("hc_mix", {}), ("swiglu", {}), ("hc_pre", {}), ("hc_head", {})]
TOKENS = (1, 2, 3, 64, 1000)


def run(target: str, name: str, kw: dict, D: int) -> tuple[int, dict]:
    torch._dynamo.reset()
    counters.clear()
    cnt = CompileCounterWithBackend("inductor")
    with inductor_npu_ext.config.patch(target=target, strict=True):
        fn = torch.compile(FRAGMENTS[name].fn, backend=cnt, dynamic=True)
        for T in TOKENS:
            fn(*make_inputs(name, T, torch.bfloat16, D=D, **kw))
    graphs = sum(any(n.op == "call_function" for n in g.graph.nodes) for g in cnt.graphs)
    return graphs, dict(sorted(counters["inductor_npu_ext"].items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", nargs="+", default=["cpp", "ascendc-sim"])
    parser.add_argument("--D", type=int, default=4096, help="model dim (ascendc-sim uses min(D, 256))")
    args = parser.parse_args()
    print("| target | fragment | graphs | counters |\n|---|---|---|---|")
    for target in args.targets:
        D = args.D if target == "cpp" else min(args.D, 256)
        for name, kw in CASES:
            graphs, found = run(target, name, kw, D)
            label = name + (f" N={kw['N']}" if "N" in kw else "")
            print(f"| {target} | {label} | {graphs} | {found} |")


if __name__ == "__main__":
    main()
