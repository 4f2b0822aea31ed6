"""The target-independent correctness suite: every DeepSeek fragment under torch.compile against
eager, static and dynamic, with the kernel and fallback counters checked. A target's test module
subclasses FragmentTests and sets TARGET (JAX's OpsInterpretTest pattern)."""
from __future__ import annotations

import pytest
import torch
from torch._dynamo.testing import CompileCounterWithBackend
from torch._dynamo.utils import counters

import inductor_npu_ext
from benchmarks.fragments import FRAGMENTS, make_inputs

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}
DYNAMIC_T = (1, 2, 3, 64, 1000, 4097)
STATIC_T = (1, 3, 1000)
# (fragment, builder keywords, model dim D, kernels per graph or None when not pinned)
CASES = {
    "hc_post": ("hc_post", {}, 4096, 1),
    "rmsnorm_4096": ("rmsnorm", {}, 4096, 1),
    "rmsnorm_1024_fp32w": ("rmsnorm", {"N": 1024, "weight_dtype": torch.float32}, 4096, 1),
    "rmsnorm_512": ("rmsnorm", {"N": 512}, 4096, 1),
    "rmsnorm_128_fp32w": ("rmsnorm", {"N": 128, "weight_dtype": torch.float32}, 4096, 1),
    "hc_pre_norm_part": ("hc_pre_norm_part", {}, 4096, None),
    "hc_mix": ("hc_mix", {}, 4096, None),
    "swiglu": ("swiglu", {}, 4096, 1),
    "swiglu_no_weights": ("swiglu", {"with_weights": False}, 4096, 1),
}


def kernels(target: str) -> int:
    return counters["inductor_npu_ext"]["kernels_" + target.replace("-", "_")]


class FragmentTests:
    """Subclass with TARGET = "<target>"; optionally narrow CASES / DYNAMIC_T / STATIC_T."""
    TARGET = ""
    CASES = CASES
    DYNAMIC_T = DYNAMIC_T
    STATIC_T = STATIC_T

    @pytest.fixture(autouse=True)
    def _target(self):
        torch._dynamo.reset()
        counters.clear()
        with inductor_npu_ext.config.patch(target=self.TARGET, strict=True):
            yield
        torch._dynamo.reset()

    def check(self, case: str, dtype_name: str, T: int, fn):
        name, kw, D, _ = self.CASES[case]
        dtype = DTYPES[dtype_name]
        args = make_inputs(name, T, dtype, D=D, seed=T, **kw)
        expected = FRAGMENTS[name].fn(*args)
        actual = fn(*args)
        atol, rtol = FRAGMENTS[name].tolerance(dtype)
        for a, e in zip(_flat(actual), _flat(expected)):
            assert a.dtype == e.dtype and a.shape == e.shape
            torch.testing.assert_close(a, e, atol=atol, rtol=rtol, equal_nan=True)

    @pytest.mark.parametrize("dtype_name", list(DTYPES))
    @pytest.mark.parametrize("case", list(CASES))
    def test_dynamic(self, case, dtype_name):
        """dynamic=True over many token counts: <= 2 frame compilations, no builds after the
        second, every graph served by our kernels."""
        cnt = CompileCounterWithBackend("inductor")
        fn = torch.compile(FRAGMENTS[self.CASES[case][0]].fn, backend=cnt, dynamic=True)
        runs_after_second = None
        for i, T in enumerate(self.DYNAMIC_T):
            self.check(case, dtype_name, T, fn)
            if i == 1:
                runs_after_second = counters["inductor_npu_ext"]["compiler_runs"]
        graphs = compiled_graphs(cnt)
        assert graphs <= 2
        assert counters["inductor_npu_ext"]["compiler_runs"] == runs_after_second
        self.check_served(case, graphs=graphs)

    @pytest.mark.parametrize("dtype_name", list(DTYPES))
    @pytest.mark.parametrize("case", list(CASES))
    def test_static(self, case, dtype_name):
        for T in self.STATIC_T:
            torch._dynamo.reset()
            counters.clear()
            fn = torch.compile(FRAGMENTS[self.CASES[case][0]].fn, dynamic=False)
            self.check(case, dtype_name, T, fn)
            self.check_served(case, graphs=1)

    def check_served(self, case: str, graphs: int):
        per_graph = self.CASES[case][3]
        assert counters["inductor_npu_ext"]["fallbacks"] == 0
        assert kernels(self.TARGET) >= graphs
        if per_graph is not None:
            assert kernels(self.TARGET) == per_graph * graphs, dict(counters["inductor_npu_ext"])


def compiled_graphs(cnt: CompileCounterWithBackend) -> int:
    """Frame compilations that produced a graph with ops (Dynamo may also emit empty graphs)."""
    return sum(any(n.op == "call_function" for n in g.graph.nodes) for g in cnt.graphs)


def _flat(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]
