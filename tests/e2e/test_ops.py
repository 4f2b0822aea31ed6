"""Op coverage of capture + the cpp target against eager: unary/binary math with NaN/Inf and odd
sizes, integer and bool dtypes, casts, where/masked loads, and every reduction kind."""
from __future__ import annotations


import pytest
import torch
from torch._dynamo.utils import counters

import inductor_npu_ext

from .special_values import values

UNARY = ["abs", "exp", "exp2", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sigmoid",
         "tanh", "erf", "sin", "cos", "floor", "ceil", "trunc", "round", "sign", "neg", "relu",
         "isnan", "isinf", "log2", "atan", "sinh"]
BINARY = ["add", "sub", "mul", "div", "pow", "minimum", "maximum", "fmod", "remainder", "atan2",
          "eq", "ne", "lt", "le", "gt", "ge", "floor_divide", "logical_and", "logical_xor"]


@pytest.fixture(autouse=True)
def _cpp():
    torch._dynamo.reset()
    counters.clear()
    with inductor_npu_ext.config.patch(target="cpp", strict=True):
        yield
    assert counters["inductor_npu_ext"]["fallbacks"] == 0
    torch._dynamo.reset()


def compare(fn, *args, atol=1e-5, rtol=1e-5, served=True):
    expected = fn(*args)
    actual = torch.compile(fn)(*args)
    torch.testing.assert_close(actual, expected, atol=atol, rtol=rtol, equal_nan=True)
    assert counters["inductor_npu_ext"]["kernels_cpp"] >= served


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("op", UNARY)
def test_unary(op, dtype):
    fn = getattr(torch, op)
    tol = 1e-5 if dtype == torch.float32 else 1e-2
    compare(lambda x: fn(x * 1.0), values(37, dtype), atol=tol, rtol=tol)


@pytest.mark.parametrize("op", BINARY)
def test_binary(op):
    fn = getattr(torch, op)
    a, b = values(41), values(41, seed=1).flip(0)
    if op == "floor_divide":
        # Inductor's own lowering is floor(a / b), which gives inf where eager gives nan for
        # +-inf // finite; stock Inductor does the same. Compare on finite values.
        a = torch.nan_to_num(a, posinf=7.0, neginf=-7.0)
    compare(lambda a, b: fn(a, b), a, b)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8, torch.uint8])
def test_integer_math(dtype):
    a = torch.randint(-50 if dtype != torch.uint8 else 0, 50, (33,)).to(dtype)
    b = torch.randint(1, 7, (33,)).to(dtype)
    compare(lambda a, b: (a * 3 + b, a // b, a % b, torch.maximum(a, b), (a > b) & (b < 4)), a, b)


def test_casts_and_bool():
    # float -> int of an out-of-range value is undefined behaviour in C++ and in torch itself:
    # compare casts on values the target type can hold (inf/nan only where the cast is defined)
    x = torch.nan_to_num(values(50) * 100).clamp(-120, 120)
    compare(lambda x: (x.to(torch.int32), x.to(torch.bfloat16), x.to(torch.float16),
                       (x > 0).to(torch.float32), x.to(torch.bool), x.to(torch.int8).float()), x)
    special = values(20) * 1e5
    compare(lambda x: (x.to(torch.bfloat16), x.to(torch.float16), x.to(torch.bool)), special)


def test_where_and_masked_loads():
    x = values(30)
    compare(lambda x: torch.where(x > 0, x, x * 0.5) + torch.nn.functional.pad(x, (3, 2), value=1.5)[2:32], x)
    compare(lambda a, b: torch.cat([a, b * 2]) + 1, values(7), values(9, seed=3))


@pytest.mark.parametrize("shape", [(1, 7), (5, 4097), (3, 64)])
def test_reductions(shape):
    x = torch.randn(shape)
    x[0, 0] = float("nan") if shape[1] > 7 else x[0, 0]
    compare(lambda x: (x.sum(-1), x.amax(-1), x.amin(-1), x.prod(-1), x.argmax(-1), x.argmin(-1),
                       (x > 1).any(-1)), x, atol=1e-4, rtol=1e-4)


def test_softmax_three_passes():
    compare(lambda x: torch.softmax(x, -1), torch.randn(6, 1000) * 4)


def test_outer_reduction_and_noncontiguous():
    x = torch.randn(64, 33).t()              # non-contiguous input
    compare(lambda x: x.sum(0) + x.mean(1).sum(), x, atol=1e-4, rtol=1e-4)


def test_dynamic_eps_scalar_input():
    """With dynamic=True a Python float becomes a 0-d float64 input read from memory."""
    def f(x, eps):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    fn = torch.compile(f, dynamic=True)
    for T, eps in ((2, 1e-6), (5, 1e-3)):
        x = torch.randn(T, 96)
        torch.testing.assert_close(fn(x, eps), f(x, eps))


def test_empty_input():
    compare(lambda x: x.exp() + 1, torch.randn(0, 4), served=False)   # Inductor emits no kernel


def test_exp_accuracy_over_the_float_range():
    """Our vectorisable exp stays within 2 ulp of eager for normal results, inf and 0 where eager has them."""
    x = torch.cat([torch.linspace(-110.0, 90.0, 200_001), torch.tensor([88.7228, 88.7229, -87.3, -103.9])])
    expected, actual = torch.exp(x), torch.compile(torch.exp)(x)
    assert torch.equal(torch.isinf(expected), torch.isinf(actual))
    finite = torch.isfinite(expected) & (expected > 1e-37)      # normal results: compare in ulps
    ulps = ((actual[finite] - expected[finite]).abs() / torch.finfo(torch.float32).eps / expected[finite])
    assert ulps.max().item() <= 2.0
    # subnormal results may be off by a few subnormal steps (double rounding in the 2^k scaling)
    torch.testing.assert_close(actual[~finite], expected[~finite], atol=1e-43, rtol=0)
