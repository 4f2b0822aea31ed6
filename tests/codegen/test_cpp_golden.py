"""Goldens of the rendered C++ (kernel body only; the fixed prelude is covered by the numeric
tests) from hand-built IR, each with a numeric twin that builds the same source and compares it
with the eager fragment. Refresh: EXPECTTEST_ACCEPT=1 pytest tests/codegen/test_cpp_golden.py"""
from __future__ import annotations

import expecttest
import torch

from benchmarks.fragments import hc_post, rmsnorm
from inductor_npu_ext.autofuse.plan import plan_cpu
from inductor_npu_ext.codegen.cpp import render_kernel
from inductor_npu_ext.targets import TARGETS
from tests.ir_samples import hc_post_kernel, hc_post_reduce_kernel, rmsnorm_kernel, s0, s1


def body(kernel) -> str:
    text = render_kernel(kernel, plan_cpu(kernel)).text
    return text[text.index('extern "C"'):]


def run(kernel, *args):
    source = render_kernel(kernel, plan_cpu(kernel))
    fn = TARGETS["cpp"].load(source.text, source.arg_types, source.entry)
    fn(*args)


class TestCppGolden(expecttest.TestCase):
    def test_rmsnorm_static(self):
        self.assertExpectedInline(body(rmsnorm_kernel(4, 512)), """\
extern "C" void kernel(const uint16_t* __restrict__ x, const uint16_t* __restrict__ w, uint16_t* __restrict__ y) {
    const int64_t n_outer = 4;
    #pragma omp parallel for schedule(static) if((2048) >= 32768)
    for (int64_t xo = 0; xo < n_outer; ++xo) {
        const int64_t x0 = xo;
        const float v4 = 512.0f;
        const float v6 = 1e-06f;
        float acc_v3 = 0;
        #pragma omp simd reduction(+:acc_v3)
        for (int64_t r0 = 0; r0 < 512; ++r0) {
            const float v0 = npu_ext::bf16_to_f32(x[(r0 + (512 * x0))]);
            const float v1 = static_cast<float>(v0);
            const float v2 = (v1 * v1);
            acc_v3 += v2;
        }
        const float v3 = acc_v3;
        const float v5 = (v3 / v4);
        const float v7 = (v5 + v6);
        const float v8 = (1 / std::sqrt(v7));
        #pragma omp simd
        for (int64_t r0 = 0; r0 < 512; ++r0) {
            const float v0 = npu_ext::bf16_to_f32(x[(r0 + (512 * x0))]);
            const float v1 = static_cast<float>(v0);
            const float v9 = (v1 * v8);
            const float v10 = npu_ext::bf16_to_f32(w[r0]);
            const float v11 = static_cast<float>(v10);
            const float v12 = (v11 * v9);
            const float v13 = npu_ext::round_bf16(v12);
            y[(r0 + (512 * x0))] = npu_ext::f32_to_bf16(v13);
        }
    }
}
""")

    def test_rmsnorm_numeric(self):
        for rows, n in ((4, 512), (3, 4097)):
            x = torch.randn(rows, n, dtype=torch.bfloat16)
            w = torch.randn(n, dtype=torch.bfloat16)
            y = torch.empty_like(x)
            run(rmsnorm_kernel(rows, n), x, w, y)
            torch.testing.assert_close(y, rmsnorm(x, w), atol=2e-2, rtol=1.6e-2)

    def test_rmsnorm_dynamic_numeric(self):
        kernel = rmsnorm_kernel(s1, s0, sizes=(s0, s1))
        for rows, n in ((1, 128), (5, 1000)):
            x, w = torch.randn(rows, n, dtype=torch.bfloat16), torch.randn(n, dtype=torch.bfloat16)
            y = torch.empty_like(x)
            run(kernel, x, w, y, n, rows)
            torch.testing.assert_close(y, rmsnorm(x, w), atol=2e-2, rtol=1.6e-2)

    def test_hc_post_reduce_golden(self):
        self.assertExpectedInline(body(hc_post_reduce_kernel()), """\
extern "C" void kernel(const float* __restrict__ comb, const uint16_t* __restrict__ res, const float* __restrict__ post, const uint16_t* __restrict__ x, uint16_t* __restrict__ y, int64_t s0, int64_t s1, int64_t s2) {
    const int64_t n_outer = (s0 * s1);
    const int64_t n_block = (s2 + 511) / 512;
    #pragma omp parallel for schedule(static) if(((s0 * (s1 * s1) * s2)) >= 32768)
    for (int64_t xb = 0; xb < n_outer * n_block; ++xb) {
        const int64_t xo = xb / n_block;
        const int64_t lane_lo = (xb % n_block) * 512;
        const int64_t n_lane = std::min<int64_t>(512, s2 - lane_lo);
        const int64_t x0 = xo / s1;
        const int64_t x1 = (xo) % s1;
        float v5[512];
        float v6[512];
        float v7[512];
        float v8[512];
        for (int64_t l = 0; l < n_lane; ++l) {
            const int64_t x2 = lane_lo + l;
            v5[l] = post[(x1 + (s1 * x0))];
            v6[l] = npu_ext::bf16_to_f32(x[(x2 + (s2 * x0))]);
            v7[l] = static_cast<float>(v6[l]);
            v8[l] = (v5[l] * v7[l]);
        }
        float acc_v4[512];
        for (int64_t l = 0; l < n_lane; ++l) {
            acc_v4[l] = 0;
        }
        for (int64_t r0 = 0; r0 < s1; ++r0) {
            #pragma omp simd
            for (int64_t l = 0; l < n_lane; ++l) {
                const int64_t x2 = lane_lo + l;
                const float v0 = comb[(x1 + (r0 * s1) + ((s1 * s1) * x0))];
                const float v1 = npu_ext::bf16_to_f32(res[(x2 + (r0 * s2) + (s1 * s2 * x0))]);
                const float v2 = static_cast<float>(v1);
                const float v3 = (v0 * v2);
                acc_v4[l] += v3;
            }
        }
        const auto* v4 = acc_v4;
        float v9[512];
        float v10[512];
        for (int64_t l = 0; l < n_lane; ++l) {
            const int64_t x2 = lane_lo + l;
            v9[l] = (v8[l] + v4[l]);
            v10[l] = npu_ext::round_bf16(v9[l]);
            y[(x2 + (s2 * x1) + (s1 * s2 * x0))] = npu_ext::f32_to_bf16(v10[l]);
        }
    }
}
""")

    def test_hc_post_numeric(self):
        for T, D in ((1, 256), (3, 1000)):
            x = torch.randn(1, T, D, dtype=torch.bfloat16)
            res = torch.randn(1, T, 2, D, dtype=torch.bfloat16)
            post, comb = torch.randn(1, T, 2), torch.randn(1, T, 2, 2)
            y = torch.empty(1, T, 2, D, dtype=torch.bfloat16)
            run(hc_post_kernel(T, D), post, x, comb, res, y)
            torch.testing.assert_close(y, hc_post(x, res, post, comb), atol=2e-2, rtol=1.6e-2)
            y2 = torch.empty_like(y)
            run(hc_post_reduce_kernel(), comb, res, post, x, y2, T, 2, D)
            torch.testing.assert_close(y2, y, atol=2e-2, rtol=1.6e-2)
