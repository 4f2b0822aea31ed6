"""torch.compile with the ascendc-sim target on the DeepSeek-V4 fragments (benchmarks/fragments.py)
against eager: the shared FragmentTests suite (fp32 and bf16, dynamic False and True, T in
{1, 3, 64, 1000, 4097}; single-kernel fragments are exactly one AscendC kernel per graph, no
fallback) plus AscendC-specific cases (hc_mix's split checked against the cpp target, one RMSNorm
function over every N, streamed rows). Also the real `ascendc` target's honest parts: CANN
detection on a fake toolkit and the bisheng command line.

The emulation is slow-ish to build (g++ on two cores): small D / inter where the fragment allows;
the biggest shapes are marked `slow`."""
from __future__ import annotations

import pytest
import torch
from torch._dynamo.utils import counters

import inductor_npu_ext
from benchmarks.fragments import FRAGMENTS, make_inputs
from inductor_npu_ext import ascendc_target, config

from .fragment_suite import CASES as SUITE_CASES
from .fragment_suite import FragmentTests

TOKENS = (1, 3, 64, 1000, 4097)
STATIC_TOKENS = (1, 3, 64)
F32, BF16 = torch.float32, torch.bfloat16


@pytest.fixture(scope="module", autouse=True)
def fresh_caches(tmp_path_factory):
    """No FX-graph cache hits, and our kernel cache in a temporary directory."""
    with torch._inductor.config.patch(force_disable_caches=True), \
            config.patch(cache_dir=str(tmp_path_factory.mktemp("ascendc_sim_cache"))):
        yield


def run_fragment(target, name, dtype, dynamic, tokens, D, kw, check=True) -> list[int]:
    """Compile once under `target`, call for every T (comparing with eager when `check`); returns
    the number of our kernels each newly compiled graph got."""
    fragment = FRAGMENTS[name]
    atol, rtol = fragment.tolerance(dtype)
    key = "kernels_" + target.replace("-", "_")
    per_graph = []
    with config.patch(target=target, strict=True):
        torch._dynamo.reset()
        counters.clear()
        compiled = torch.compile(fragment.fn, dynamic=dynamic)
        for T in tokens:
            args = make_inputs(name, T, dtype, D, **kw)
            graphs, kernels = counters["stats"]["unique_graphs"], counters["inductor_npu_ext"][key]
            got = compiled(*args)
            if counters["stats"]["unique_graphs"] > graphs:
                per_graph.append(counters["inductor_npu_ext"][key] - kernels)
            if check:
                want = fragment.fn(*args)
                for g, w in zip(got if isinstance(got, tuple) else (got,),
                                want if isinstance(want, tuple) else (want,)):
                    torch.testing.assert_close(g.float(), w.float(), atol=atol, rtol=rtol,
                                               msg=lambda m: f"{name} T={T} {dtype} dynamic={dynamic}: {m}")
        assert counters["inductor_npu_ext"]["fallbacks"] == 0
    return per_graph


def check_fragment(name, dtype, dynamic, tokens, D=256, **kw):
    """Every fragment but hc_mix is exactly one AscendC kernel per graph. Inductor splits hc_mix
    (the sigmoid over the [T, H] mixes, the weighted sum over H and, with symbolic sizes, the
    final cast over a flattened range that our scheduling does not fuse); there the reference C++
    target's kernel count is the oracle."""
    per_graph = run_fragment("ascendc-sim", name, dtype, dynamic, tokens, D, kw)
    assert per_graph and all(n >= 1 for n in per_graph)
    if name == "hc_mix":
        assert per_graph == run_fragment("cpp", name, dtype, dynamic, tokens, D, kw, check=False)
    else:
        assert per_graph == [1] * len(per_graph), per_graph


class TestAscendCSim(FragmentTests):
    """The shared fragment suite (fp32/bf16, static/dynamic, counters) on ascendc-sim, with the
    hc_* fragments at D = 256 (the emulation builds with g++ on few cores) and T up to 4097.
    Static graphs at T = 1 are covered by the dynamic runs (Dynamo specialises size 1)."""
    TARGET = "ascendc-sim"
    CASES = {case: (name, kw, 256 if name.startswith("hc_") else D, per_graph)
             for case, (name, kw, D, per_graph) in SUITE_CASES.items()}
    DYNAMIC_T = TOKENS
    STATIC_T = (3,)


def test_hc_mix_kernel_count_matches_cpp():
    """hc_mix is the one fragment Inductor splits; every piece must still be ours."""
    check_fragment("hc_mix", BF16, True, TOKENS[:4])


def test_rmsnorm_one_function_all_widths():
    """One compiled function sees every N (4096/1024/512/128) and every T, as in the model."""
    fragment = FRAGMENTS["rmsnorm"]
    atol, rtol = fragment.tolerance(BF16)
    with config.patch(target="ascendc-sim", strict=True):
        torch._dynamo.reset()
        counters.clear()
        compiled = torch.compile(fragment.fn, dynamic=True)
        for N in (4096, 1024, 512, 128):
            for T in TOKENS:
                args = make_inputs("rmsnorm", T, BF16, 4096, N=N, weight_dtype=F32)
                torch.testing.assert_close(compiled(*args).float(), fragment.fn(*args).float(),
                                           atol=atol, rtol=rtol)
        assert counters["inductor_npu_ext"]["fallbacks"] == 0
        # one kernel per graph: the T=1 specialisation and the symbolic one
        assert counters["inductor_npu_ext"]["kernels_ascendc_sim"] == counters["stats"]["unique_graphs"] <= 2


def test_hc_pre_norm_part_streamed_rows():
    """H*D = 16384 fp32 values per row do not fit UB as one tile: the streamed mode runs."""
    check_fragment("hc_pre_norm_part", BF16, True, (1, 3, 64), D=4096)


def test_swiglu_static_model_width():
    check_fragment("swiglu", BF16, False, (1, 64), inter=2048)


@pytest.mark.slow
@pytest.mark.parametrize("name,kw", [("hc_post", {}), ("rmsnorm", {}), ("swiglu", {"inter": 2048})])
def test_model_sizes(name, kw):
    """The model's D = 4096 (and inter = 2048) at prefill-sized T."""
    check_fragment(name, BF16, True, (1, 1000, 4097), D=4096, **kw)


# ------------------------------------------------------------------------------- real ascendc
def fake_toolkit(root, legacy=True):
    home = root / "Ascend" / "ascend-toolkit" / "latest"
    bisheng = home / "compiler" / "ccec_compiler" / "bin" / "bisheng"
    bisheng.parent.mkdir(parents=True)
    bisheng.write_text("#!/bin/sh\n")
    headers = home / ("compiler/tikcpp/tikcfw" if legacy else "asc/include")
    headers.mkdir(parents=True)
    (headers / "kernel_operator.h").write_text("")
    return home


def test_toolkit_detection(tmp_path):
    home = fake_toolkit(tmp_path)
    toolkit, why = ascendc_target.find_toolkit({"ASCEND_HOME_PATH": str(home), "PATH": ""})
    assert toolkit is not None and why == ""
    assert toolkit.home == home and toolkit.legacy and toolkit.bisheng.name == "bisheng"
    missing, why = ascendc_target.find_toolkit({"ASCEND_HOME_PATH": str(tmp_path / "none"), "PATH": ""})
    if missing is None:                       # this host has no CANN in the default places either
        assert "ASCEND_HOME_PATH" in why or "bisheng" in why


def test_bisheng_command_legacy_and_new(tmp_path):
    legacy, _ = ascendc_target.find_toolkit({"ASCEND_HOME_PATH": str(fake_toolkit(tmp_path / "a")), "PATH": ""})
    command = ascendc_target.bisheng_command(legacy, "kernel.cpp", "kernel.so")
    assert command[0].endswith("bisheng") and "--cce-aicore-arch=dav-c220" in command
    assert "-xcce" in command and command[-3:] == ["kernel.cpp", "-o", "kernel.so"]
    assert f"-I{legacy.home}/compiler/tikcpp/tikcfw" in command and "--shared" in command
    assert ["-mllvm", "-cce-aicore-stack-size=0x8000"] == command[command.index("-mllvm"):][:2]
    new, _ = ascendc_target.find_toolkit({"ASCEND_HOME_PATH": str(fake_toolkit(tmp_path / "b", False)), "PATH": ""})
    command = ascendc_target.bisheng_command(new, "kernel.cpp", "kernel.so")
    assert ["-x", "asc", "--npu-arch=dav-2201"] == command[1:4]
    assert f"-I{new.home}/asc/include" in command


def test_ascendc_target_is_honest_without_cann(monkeypatch):
    for key in ascendc_target.ENV_HOMES:
        monkeypatch.delenv(key, raising=False)
    target = ascendc_target.TARGETS["ascendc"]
    ok, why = target.available()
    if ascendc_target.find_toolkit()[0] is None:
        assert not ok and why
        with pytest.raises(RuntimeError, match="ascendc"):
            target.load("", ("uint8_t*",), "launch_k")


def test_both_targets_registered():
    from inductor_npu_ext import targets
    assert isinstance(targets.get("ascendc-sim"), ascendc_target.AscendCSimTarget)
    assert isinstance(targets.get("ascendc"), ascendc_target.AscendCTarget)
    assert inductor_npu_ext.config.TARGETS.count("ascendc-sim") == 1
