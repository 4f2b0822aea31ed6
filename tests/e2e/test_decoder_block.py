"""The whole decoder-block chain (hc_pre -> RMSNorm -> matmul -> hc_post -> hc_pre -> RMSNorm ->
Expert -> hc_post) under dynamic=True: every fused kernel is ours on each CPU target. Inductor
merges loops differently per node here (flattened epilogues beside split reductions), which
capture must replay as affine indices."""
from __future__ import annotations

import pytest
import torch
from torch._dynamo.utils import counters

import inductor_npu_ext
from benchmarks.fragments import FRAGMENTS, make_inputs


@pytest.mark.parametrize("target", ["cpp", "ascendc-sim"])
def test_decoder_block_dynamic(target):
    torch._dynamo.reset()
    counters.clear()
    fragment = FRAGMENTS["decoder_block"]
    with inductor_npu_ext.config.patch(target=target, strict=True):
        fn = torch.compile(fragment.fn, dynamic=True)
        for T in (1, 2, 5):
            args = make_inputs("decoder_block", T, torch.bfloat16, D=128, seed=T, inter=64)
            atol, rtol = fragment.tolerance(torch.bfloat16)
            torch.testing.assert_close(fn(*args), fragment.fn(*args), atol=atol, rtol=rtol)
    assert counters["inductor_npu_ext"]["fallbacks"] == 0
    assert counters["inductor_npu_ext"]["kernels_" + target.replace("-", "_")] > 0
    torch._dynamo.reset()
