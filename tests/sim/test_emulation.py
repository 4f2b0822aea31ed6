"""Tests of the ascendc-sim CPU emulation (inductor_npu_ext/sim): AscendC fixture kernels from
tests/sim/kernels are rewritten with rewrite_launches, built with g++ and driven through ctypes and
numpy, then checked numerically, for exact DataCopyPad layouts, and for the errors the emulator
must raise (runtime) or provoke (compile time). Torch-free.
"""

from __future__ import annotations

import ctypes
import math
import pathlib
import shutil
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from inductor_npu_ext import sim

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")

KERNELS = pathlib.Path(__file__).parent / "kernels"

# RoundMode numbering of ascendc_sim_vector.h
NONE, RINT, FLOOR, CEIL, ROUND, TRUNC, ODD = range(7)


# ----------------------------------------------------------------------------- build helpers


def compile_source(fixture: str, out_dir: pathlib.Path, stem: str, extra: list[str]) -> subprocess.CompletedProcess:
    """Rewrite launches in fixture, write it as <stem>.cpp and run g++ with the sim flags + extra."""
    source = out_dir / f"{stem}.cpp"
    source.write_text(sim.rewrite_launches((KERNELS / fixture).read_text()))
    command = ["g++", *sim.compile_flags(), *extra, str(source)]
    return subprocess.run(command, capture_output=True, text=True, cwd=out_dir)


class AddTiling(ctypes.Structure):
    _fields_ = [("total", ctypes.c_uint32), ("perCore", ctypes.c_uint32), ("tileLen", ctypes.c_uint32)]


class RmsTiling(ctypes.Structure):
    _fields_ = [("rows", ctypes.c_uint32), ("cols", ctypes.c_uint32), ("colsPad", ctypes.c_uint32),
                ("rowsPerCore", ctypes.c_uint32), ("eps", ctypes.c_float), ("skipWeightSync", ctypes.c_uint32)]


class PadArgs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ("blockCount", "blockLen", "srcStride", "dstStride", "isPad", "leftPadding", "rightPadding")]
    _fields_ += [("paddingValue", ctypes.c_float), ("dumpElems", ctypes.c_uint32), ("roundTrip", ctypes.c_uint32)]


P = ctypes.c_void_p
U32 = ctypes.c_uint32
I32 = ctypes.c_int32
SIGNATURES = {
    "launch_add_tiled": [U32, P, P, P, P, AddTiling],
    "launch_rmsnorm_bf16": [U32, P, P, P, P, RmsTiling],
    "launch_reduce_sum_f32": [U32, P, P, P, U32],
    "launch_reduce_sum_f16": [U32, P, P, P, U32],
    "launch_cast": [U32, P, P, P, U32, I32, I32],
    "launch_pad_layout": [U32, P, P, P, P, PadArgs],
    "launch_ub_budget": [U32, P, U32, U32],
    "launch_scalar_convert": [U32, P, P, P, P, U32],
    "launch_scale_f32": [U32, P, P, U32],
    "launch_vec_op_f32": [U32, P, P, P, P, U32, I32, ctypes.c_float],
    "launch_vec_op_f16": [U32, P, P, P, P, U32, I32, ctypes.c_float],
    "launch_int_ops": [U32, P, P, P, P, U32, I32],
    "launch_bad_copy": [U32, P, P, I32],
    "launch_bad_queue": [U32, P, I32],
    "run_in_throw_mode": [ctypes.c_char_p, ctypes.c_int],
    "ascendc_sim_register_gm": [P, ctypes.c_uint64],
    "ascendc_sim_set_ub_limit": [U32],
}


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    """sim_kernels.cpp built once per module as a shared library, with ctypes signatures set."""
    out_dir = tmp_path_factory.mktemp("sim_kernels")
    target = out_dir / "sim_kernels.so"
    result = compile_source("sim_kernels.cpp", out_dir, "sim_kernels", ["-O1", "-fPIC", "-shared", "-o", str(target)])
    assert result.returncode == 0, result.stderr
    library = ctypes.CDLL(str(target))
    for name, argtypes in SIGNATURES.items():
        getattr(library, name).argtypes = argtypes
        getattr(library, name).restype = None
    library.ascendc_sim_last_error.restype = ctypes.c_char_p
    library.ascendc_sim_set_ub_limit.restype = ctypes.c_int
    library.run_in_throw_mode.restype = ctypes.c_int
    yield library
    library.ascendc_sim_clear_gm()
    library.ascendc_sim_clear_error()


def ptr(array: np.ndarray) -> int:
    return array.ctypes.data


def launch(lib, name: str, *args) -> str | None:
    """Clear errors and GM regions, run one launcher; return the recorded error message or None."""
    lib.ascendc_sim_clear_error()
    getattr(lib, name)(*args)
    message = lib.ascendc_sim_last_error()
    lib.ascendc_sim_clear_error()
    lib.ascendc_sim_clear_gm()
    return message.decode() if message else None


def register(lib, *arrays: np.ndarray) -> None:
    for array in arrays:
        lib.ascendc_sim_register_gm(ptr(array), array.nbytes)


# ----------------------------------------------------------------------------- numeric models


def tree_sum(values: np.ndarray) -> np.generic:
    """Count-form ReduceSum (spec 4.5): adjacent-pair tree per 256 B repeat, repeats in order."""
    dtype = values.dtype.type
    lanes = 256 // values.itemsize
    total = None
    for start in range(0, len(values), lanes):
        chunk = np.zeros(lanes, dtype=values.dtype)
        part = values[start:start + lanes]
        chunk[:len(part)] = part
        while len(chunk) > 1:
            chunk = (chunk[0::2] + chunk[1::2]).astype(values.dtype)
        total = chunk[0] if total is None else dtype(total + chunk[0])
    return total


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits, round to nearest even (finite inputs)."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_to_f32(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def round_integral(q: Fraction, mode: int) -> int:
    """Exact-rational rounding to an integer in one of the RoundMode directions."""
    floor = q.numerator // q.denominator
    frac = q - floor
    trunc = floor if q >= 0 or frac == 0 else floor + 1
    if mode == FLOOR:
        return floor
    if mode == CEIL:
        return floor + (frac != 0)
    if mode == TRUNC:
        return trunc
    if mode == ROUND:
        away = abs(q - trunc) >= Fraction(1, 2)
        return trunc + (1 if q > 0 else -1) * away
    if mode == ODD:
        return trunc + (1 if q > 0 else -1) * (trunc != q and trunc % 2 == 0)
    return floor + (frac > Fraction(1, 2) or (frac == Fraction(1, 2) and floor % 2 == 1))  # RINT


def round_to_format(x: float, mantissa: int, min_exp: int, max_finite: float, mode: int) -> float:
    """Reference rounding of x into a binary format (exact rationals, IEEE overflow per mode)."""
    if x == 0 or not math.isfinite(x):
        return x
    exponent = max(math.frexp(abs(x))[1] - 1, min_exp)
    quantum = Fraction(2) ** (exponent - mantissa)
    result = round_integral(Fraction(x) / quantum, mode) * quantum
    if abs(result) <= max_finite:
        return math.copysign(float(result), x) if result == 0 else float(result)
    if mode in (TRUNC, ODD) or (mode == FLOOR and x > 0) or (mode == CEIL and x < 0):
        return math.copysign(max_finite, x)
    return math.copysign(math.inf, x)


HALF_MAX = 65504.0
BF16_MAX = float(Fraction(0xFF) * Fraction(2) ** 120)

SPOT_VALUES = np.array([
    0.0, -0.0, 1.0, 1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-20, 1 + 2**-8, 1 + 3 * 2**-8, -2.5, 2.5, 3.5,
    0.1, -0.1, 3.14159, -1.0000001, 100.5, -100.5, 65504.0, 65519.99, 65520.0, 70000.0, -70000.0, 6e-8, 2**-25,
    1.5 * 2**-25, 2**-24 * 2.5, 1e-3, 1e38, 3.39e38, -3.4e38, 2**-130, 1.0 + 2**-7 + 2**-9,
], dtype=np.float32)


# ----------------------------------------------------------------------------- python helpers


def test_rewrite_launches_forms():
    source = (
        'extern "C" void go(uint32_t n, void* s, uint8_t* x) {\n'
        "  // k<<<1, nullptr, s>>>(x) in a comment stays\n"
        '  const char* t = "a<<<b>>>(";\n'
        "  k<<<n, nullptr, s>>>(x);\n"
        "  ns::tk<float, 2> <<< (n + 1), nullptr, s >>> (x, n);\n"
        "}\n"
    )
    out = sim.rewrite_launches(source)
    assert "ASCENDC_SIM_LAUNCH(k, n, nullptr, s)(x);" in out
    assert "ASCENDC_SIM_LAUNCH((ns::tk<float, 2>), (n + 1), nullptr, s)(x, n);" in out
    assert "// k<<<1, nullptr, s>>>(x) in a comment stays" in out
    assert '"a<<<b>>>("' in out
    assert out.count("<<<") == 2


@pytest.mark.parametrize("bad", ["k<<<n, s>>>(x);", "k<<<n, nullptr, s>>> x;", "k<<<n, nullptr, s"])
def test_rewrite_launches_rejects_malformed(bad):
    with pytest.raises(ValueError):
        sim.rewrite_launches(bad)


def test_include_dir_and_flags():
    assert (sim.include_dir() / "kernel_operator.h").is_file()
    flags = sim.compile_flags()
    assert "-std=c++17" in flags and f"-I{sim.include_dir()}" in flags


# ----------------------------------------------------------------------------- positive kernels


def test_add_tiled_unaligned_multiblock(lib):
    total, per_core, block_dim = 1003, 257, 4  # tails of 257 % 64 and 232 % 64, both unaligned
    rng = np.random.default_rng(0)
    x = rng.standard_normal(total).astype(np.float32)
    y = rng.standard_normal(total).astype(np.float32)
    z = np.full(total + 16, 123.0, dtype=np.float32)  # guard after the end must stay untouched
    register(lib, x, y, z)
    error = launch(lib, "launch_add_tiled", block_dim, None, ptr(x), ptr(y), ptr(z), AddTiling(total, per_core, 64))
    assert error is None
    np.testing.assert_array_equal(z[:total], x + y)
    np.testing.assert_array_equal(z[total:], 123.0)


def rmsnorm_model(x_bits: np.ndarray, w_bits: np.ndarray, eps: np.float32) -> np.ndarray:
    """float32 replay of KernelRms: same op order, same ReduceSum order, bf16 RNE at the end."""
    cols = x_bits.shape[1]
    w = bf16_to_f32(w_bits)
    out = np.empty_like(x_bits)
    for r in range(x_bits.shape[0]):
        x = bf16_to_f32(x_bits[r])
        total = tree_sum((x * x).astype(np.float32))
        total = np.float32(total * (np.float32(1.0) / np.float32(cols)))
        total = np.float32(total + eps)
        scale = np.float32(np.float32(1.0) / np.sqrt(total))
        out[r] = bf16_bits((x * scale).astype(np.float32) * w)
    return out


def test_rmsnorm_bf16_matches_model(lib):
    rows, cols, block_dim = 7, 200, 3
    cols_pad = (cols + 15) // 16 * 16
    rng = np.random.default_rng(1)
    x_bits = bf16_bits(rng.standard_normal((rows, cols)).astype(np.float32) * 3)
    w_bits = bf16_bits(rng.uniform(0.5, 1.5, cols).astype(np.float32))
    y_bits = np.zeros((rows, cols), dtype=np.uint16)
    eps = np.float32(1e-6)
    tiling = RmsTiling(rows, cols, cols_pad, (rows + block_dim - 1) // block_dim, eps, 0)
    register(lib, x_bits, w_bits, y_bits)
    error = launch(lib, "launch_rmsnorm_bf16", block_dim, None, ptr(x_bits), ptr(w_bits), ptr(y_bits), tiling)
    assert error is None
    np.testing.assert_array_equal(y_bits, rmsnorm_model(x_bits, w_bits, eps))
    x64 = bf16_to_f32(x_bits).astype(np.float64)
    reference = x64 / np.sqrt((x64 * x64).mean(axis=1, keepdims=True) + 1e-6) * bf16_to_f32(w_bits)
    np.testing.assert_allclose(bf16_to_f32(y_bits), reference, rtol=2**-7, atol=1e-6)


def test_rmsnorm_missing_weight_sync_is_reported(lib):
    rows, cols = 2, 40
    x_bits = np.zeros((rows, cols), dtype=np.uint16)
    w_bits = np.zeros(cols, dtype=np.uint16)
    y_bits = np.zeros((rows, cols), dtype=np.uint16)
    tiling = RmsTiling(rows, cols, 48, rows, np.float32(1e-6), 1)
    error = launch(lib, "launch_rmsnorm_bf16", 1, None, ptr(x_bits), ptr(w_bits), ptr(y_bits), tiling)
    assert error is not None and "kernel 'rmsnorm_bf16'" in error
    assert "Cast" in error and "missing synchronisation" in error and "HardEvent::MTE2_V" in error


@pytest.mark.parametrize("n", [1, 37, 64, 65, 1000, 4000])
def test_reduce_sum_f32_order(lib, n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 6, n)).astype(np.float32)
    out = np.full(8, np.nan, dtype=np.float32)
    assert launch(lib, "launch_reduce_sum_f32", 1, None, ptr(x), ptr(out), n) is None
    expected = tree_sum(x)
    assert out[0].tobytes() == expected.tobytes(), (out[0], expected)
    if n >= 1000:  # the data distinguishes the documented order from a plain running sum
        running = np.float32(0)
        for v in x:
            running = np.float32(running + v)
        assert running.tobytes() != expected.tobytes()
    np.testing.assert_array_equal(out[1:], np.nan)  # only dst[0] reaches GM


@pytest.mark.parametrize("n", [5, 128, 300, 1000])
def test_reduce_sum_f16_order(lib, n):
    rng = np.random.default_rng(100 + n)
    x = rng.uniform(-4, 4, n).astype(np.float16)
    out = np.zeros(16, dtype=np.float16)
    assert launch(lib, "launch_reduce_sum_f16", 1, None, ptr(x), ptr(out), n) is None
    expected = tree_sum(x)
    assert out[0].tobytes() == expected.tobytes(), (out[0], expected)


# ----------------------------------------------------------------------------- op coverage

VECTOR_OPS = {  # op number of VecOpBody -> float32 reference; the result is rounded to the dtype once
    0: lambda a, b, s: a + b,
    1: lambda a, b, s: a - b,
    2: lambda a, b, s: a * b,
    3: lambda a, b, s: a / b,
    4: lambda a, b, s: np.maximum(a, b),
    5: lambda a, b, s: np.minimum(a, b),
    6: lambda a, b, s: a + s,
    7: lambda a, b, s: a * s,
    8: lambda a, b, s: np.maximum(a, s),
    9: lambda a, b, s: np.minimum(a, s),
    10: lambda a, b, s: np.abs(a),
    11: lambda a, b, s: np.exp(np.abs(a)),
    12: lambda a, b, s: np.log(np.abs(a)),
    13: lambda a, b, s: np.sqrt(np.abs(a)),
    14: lambda a, b, s: np.float32(1) / np.sqrt(np.abs(a)),
    15: lambda a, b, s: np.float32(1) / a,
    16: lambda a, b, s: np.maximum(a, np.float32(0)),
    17: lambda a, b, s: b + a * s,
    18: lambda a, b, s: np.where(a < b, a, b),
    19: lambda a, b, s: np.where(a > s, a, s),
    22: lambda a, b, s: np.full_like(a, s),
}
TRANSCENDENTAL = {11, 12}  # libm vs numpy may differ in the last bit


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("op", sorted(VECTOR_OPS))
def test_vector_op(lib, dtype, op):
    n, scalar = 256, 1.5
    rng = np.random.default_rng(op)
    a = (rng.uniform(0.1, 4, n) * rng.choice([-1, 1], n)).astype(dtype)
    b = (rng.uniform(0.1, 4, n) * rng.choice([-1, 1], n)).astype(dtype)
    if op in (11, 12, 13, 14):
        a = np.abs(a)
    out = np.zeros(n, dtype=dtype)
    name = "launch_vec_op_f32" if dtype == np.float32 else "launch_vec_op_f16"
    assert launch(lib, name, 1, None, ptr(a), ptr(b), ptr(out), n, op, scalar) is None
    with np.errstate(all="ignore"):
        want = VECTOR_OPS[op](a.astype(np.float32), b.astype(np.float32), np.float32(scalar)).astype(dtype)
    if op in TRANSCENDENTAL:
        np.testing.assert_allclose(out, want, rtol=2e-7 if dtype == np.float32 else 1e-3)
    else:
        np.testing.assert_array_equal(out.view(np.uint8), want.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("op", [20, 21])
def test_reduce_max_min_with_index(lib, dtype, op):
    n = 256
    a = np.random.default_rng(7).standard_normal(n).astype(dtype)
    a[[50, 90]] = 9 if op == 20 else -9  # ties: the first index wins
    out = np.zeros(n, dtype=dtype)
    name = "launch_vec_op_f32" if dtype == np.float32 else "launch_vec_op_f16"
    assert launch(lib, name, 1, None, ptr(a), ptr(a), ptr(out), n, op, 0.0) is None
    assert out[0] == (9 if op == 20 else -9)
    index_type = np.uint32 if dtype == np.float32 else np.uint16
    assert out[1:2].view(index_type)[0] == 50


INT_OPS = {  # op -> (dtype, reference with wrap-around)
    0: (np.int16, lambda a, b: a & b),
    1: (np.int16, lambda a, b: a | b),
    2: (np.int16, lambda a, b: ~a),
    3: (np.int16, lambda a, b: a + b),
    4: (np.int16, lambda a, b: a * b),
    5: (np.int16, np.maximum),
    6: (np.int32, lambda a, b: a + b),
    7: (np.int32, lambda a, b: a * b),
    8: (np.int32, lambda a, b: np.maximum(a, 0)),
    9: (np.int32, lambda a, b: a - np.int32(7)),
}


@pytest.mark.parametrize("op", sorted(INT_OPS))
def test_integer_ops_wrap(lib, op):
    dtype, reference = INT_OPS[op]
    rng = np.random.default_rng(op)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, 512 // np.dtype(dtype).itemsize, dtype=dtype, endpoint=True)
    b = rng.integers(info.min, info.max, len(a), dtype=dtype, endpoint=True)
    out = np.zeros_like(a)
    assert launch(lib, "launch_int_ops", 1, None, ptr(a), ptr(b), ptr(out), 512, op) is None
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(out, reference(a, b).astype(dtype))


# ----------------------------------------------------------------------------- rounding


def run_cast(lib, values: np.ndarray, out_dtype, kind: int, mode: int, block_dim: int = 1) -> np.ndarray:
    out = np.zeros(len(values), dtype=out_dtype)
    n = len(values) // block_dim
    error = launch(lib, "launch_cast", block_dim, None, ptr(values), ptr(out), n, kind, mode)
    assert error is None, error
    return out


def test_cast_f32_to_f16_rint_matches_numpy(lib):
    rng = np.random.default_rng(2)
    bits = np.concatenate([rng.integers(0, 2**32, 8192 - len(SPOT_VALUES), dtype=np.uint64).astype(np.uint32),
                           SPOT_VALUES.view(np.uint32)])
    values = bits.view(np.float32)
    for mode in (RINT, NONE):
        got = run_cast(lib, values, np.float16, 0, mode)
        with np.errstate(over="ignore"):
            want = values.astype(np.float16)
        nan = np.isnan(want)
        np.testing.assert_array_equal(np.isnan(got), nan)
        np.testing.assert_array_equal(got[~nan].view(np.uint16), want[~nan].view(np.uint16))


@pytest.mark.parametrize("mode", [FLOOR, CEIL, ROUND, TRUNC, ODD, RINT])
def test_cast_f32_to_f16_modes(lib, mode):
    got = run_cast(lib, SPOT_VALUES, np.float16, 0, mode)
    want = np.array([round_to_format(float(v), 10, -14, HALF_MAX, mode) for v in SPOT_VALUES], dtype=np.float16)
    np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))


@pytest.mark.parametrize("mode", [RINT, FLOOR, CEIL, ROUND, TRUNC])
def test_cast_f32_to_bf16_modes(lib, mode):
    got = run_cast(lib, SPOT_VALUES, np.uint16, 1, mode)
    want = [round_to_format(float(v), 7, -126, BF16_MAX, mode) for v in SPOT_VALUES]
    np.testing.assert_array_equal(bf16_to_f32(got), np.array(want, dtype=np.float32))
    if mode == RINT:  # ties to even: 1+2^-8 -> 1, 1+3*2^-8 -> 1+2^-6
        by_value = dict(zip(SPOT_VALUES.tolist(), bf16_to_f32(got).tolist()))
        assert by_value[1 + 2**-8] == 1.0 and by_value[1 + 3 * 2**-8] == 1 + 2**-6


def test_cast_widening_is_exact_for_every_bit_pattern(lib):
    patterns = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    got = run_cast(lib, patterns.view(np.float16), np.float32, 2, NONE, block_dim=8)
    np.testing.assert_array_equal(got.view(np.uint32), patterns.view(np.float16).astype(np.float32).view(np.uint32))
    got = run_cast(lib, patterns, np.float32, 3, NONE, block_dim=8)
    np.testing.assert_array_equal(got.view(np.uint32), patterns.astype(np.uint32) << 16)


@pytest.mark.parametrize("mode", [RINT, FLOOR, CEIL, ROUND, TRUNC])
def test_cast_f32_to_int32_and_integral(lib, mode):
    values = np.array([2.5, -2.5, 3.5, -0.5, 0.5, 7.9, -7.9, 1e10, -1e10, np.nan, 123456.75, -0.0], dtype=np.float32)
    got = run_cast(lib, values, np.int32, 4, mode)
    want = [0 if math.isnan(v) else max(-2**31, min(2**31 - 1, round_integral(Fraction(float(v)), mode)))
            for v in values]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.int32))
    got = run_cast(lib, values, np.float32, 5, mode)
    want = [v if not math.isfinite(v) else float(round_integral(Fraction(float(v)), mode)) for v in values]
    np.testing.assert_array_equal(got, np.array(want, dtype=np.float32))


def test_half_and_bf16_scalar_constructors_round_to_nearest_even(lib):
    half_bits = np.zeros(len(SPOT_VALUES), dtype=np.uint16)
    bf16 = np.zeros(len(SPOT_VALUES), dtype=np.uint16)
    assert launch(lib, "launch_scalar_convert", 1, None, ptr(SPOT_VALUES), ptr(half_bits), ptr(bf16),
                  len(SPOT_VALUES)) is None
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(half_bits, SPOT_VALUES.astype(np.float16).view(np.uint16))
    want = [round_to_format(float(v), 7, -126, BF16_MAX, RINT) for v in SPOT_VALUES]
    np.testing.assert_array_equal(bf16_to_f32(bf16), np.array(want, dtype=np.float32))
    by_value = dict(zip(SPOT_VALUES.tolist(), half_bits.view(np.float16).tolist()))
    assert by_value[1 + 2**-11] == 1.0 and by_value[65520.0] == math.inf and by_value[2**-25] == 0.0


def test_template_kernel_launch(lib):
    x = np.arange(64, dtype=np.float32)
    assert launch(lib, "launch_scale_f32", 1, None, ptr(x), 64) is None
    np.testing.assert_array_equal(x, 2 * np.arange(64, dtype=np.float32))
    error = launch(lib, "launch_scale_f32", 1, None, ptr(x), 60)  # 240 bytes: not a 32 B multiple
    assert "kernel 'scale_kernel<float>'" in error and "not a multiple of 32 B" in error


# ----------------------------------------------------------------------------- DataCopyPad layouts


def expected_pad_layout(src: np.ndarray, args: PadArgs) -> np.ndarray:
    """UB contents after DataCopyPad GM->UB per spec 3.2 over a buffer pre-filled with -7."""
    poison = np.uint32(0xFFFFFFFF)
    ub = np.full(args.dumpElems, -7.0, dtype=np.float32).view(np.uint32)
    src_bits = src.view(np.uint32)
    elems = args.blockLen // 4
    used = 4 * (args.leftPadding + elems + args.rightPadding)
    slot = (used + 31) // 32 * 32
    pad_value = np.array([args.paddingValue], dtype=np.float32).view(np.uint32)[0]
    pad = pad_value if args.isPad else poison
    for i in range(args.blockCount):
        base = i * (slot + 32 * args.dstStride) // 4
        first = (i * (args.blockLen + args.srcStride)) // 4
        data = src_bits[first:first + elems]
        block = [pad] * args.leftPadding + list(data) + [pad] * args.rightPadding
        dummy = (slot - used) // 4
        if args.leftPadding == 0 and args.rightPadding == 0:
            block += [data[0]] * dummy
        else:
            block += [pad] * dummy
        ub[base:base + len(block)] = block
    return ub


PAD_CASES = {
    "no_pads_dummy_repeats_first": dict(blockCount=3, blockLen=20, srcStride=8, dstStride=1, isPad=0),
    "pads_fill_to_32B": dict(blockCount=2, blockLen=20, isPad=1, leftPadding=1, rightPadding=2, paddingValue=9.5),
    "right_pad_and_dummy_use_value": dict(blockCount=2, blockLen=12, isPad=1, rightPadding=1, paddingValue=3.0),
    "pads_without_isPad_are_garbage": dict(blockCount=2, blockLen=12, isPad=0, leftPadding=1),
    "aligned_block": dict(blockCount=1, blockLen=32),
}


@pytest.mark.parametrize("case", sorted(PAD_CASES))
def test_datacopypad_layout(lib, case):
    args = PadArgs(dumpElems=64, **PAD_CASES[case])
    args.roundTrip = int(args.leftPadding == 0 and args.rightPadding == 0)
    src = np.arange(1, 65, dtype=np.float32)
    dump = np.zeros(64, dtype=np.float32)
    out = np.full(64, -1.0, dtype=np.float32)
    assert launch(lib, "launch_pad_layout", 1, None, ptr(src), ptr(dump), ptr(out), args) is None
    np.testing.assert_array_equal(dump.view(np.uint32), expected_pad_layout(src, args))
    if args.roundTrip:  # UB->GM drops the padding: blocks land at i*(blockLen+srcStride), gaps untouched
        want = np.full(64, -1.0, dtype=np.float32)
        for i in range(args.blockCount):
            first = i * (args.blockLen + args.srcStride) // 4
            want[first:first + args.blockLen // 4] = src[first:first + args.blockLen // 4]
        np.testing.assert_array_equal(out, want)


# ----------------------------------------------------------------------------- runtime errors


def test_ub_budget_default_184k_and_full_192k(lib):
    assert launch(lib, "launch_ub_budget", 1, None, 184 * 1024, 1) is None
    error = launch(lib, "launch_ub_budget", 2, None, 190 * 1024, 1)
    assert "kernel 'ub_budget'" in error and "UB overflow" in error and "188416" in error
    assert lib.ascendc_sim_set_ub_limit(192 * 1024) == 0
    try:
        assert launch(lib, "launch_ub_budget", 1, None, 190 * 1024, 1) is None
        error = launch(lib, "launch_ub_budget", 1, None, 192 * 1024 + 1, 1)
        assert "kernel 'ub_budget'" in error and "UB overflow" in error and "196608" in error
    finally:
        assert lib.ascendc_sim_set_ub_limit(188416) == 0
    assert lib.ascendc_sim_set_ub_limit(200 * 1024) != 0


def test_ub_more_than_64_buffers(lib):
    error = launch(lib, "launch_ub_budget", 1, None, 32, 65)
    assert "kernel 'ub_budget'" in error and "more than 64 buffers" in error


COPY_ERRORS = {
    0: ["DataCopy(GM->UB)", "not a multiple of 32 B", "22 bytes"],
    1: ["Add", "dst starts at UB byte", "not 32 B aligned"],
    2: ["DataCopy(GM->UB)", "GM out of range", "declared with 32 elements"],
    3: ["DataCopy(GM->UB)", "GM out of range", "registered GM allocation"],
    4: ["Cast", "CAST_NONE is not supported for float -> bfloat16_t"],
    5: ["Duplicate", "range out of its buffer"],
    6: ["Compare", "int32_t supports CMPMODE::EQ only"],
    7: ["kernel end", "SetFlag<HardEvent::V_MTE3>(1) was never consumed"],
    8: ["WaitFlag", "WaitFlag<HardEvent::MTE2_V>(2) has no matching SetFlag"],
}


@pytest.mark.parametrize("mode", sorted(COPY_ERRORS))
def test_copy_and_operand_errors(lib, mode):
    gm = np.zeros(32, dtype=np.float32)
    register(lib, gm)
    error = launch(lib, "launch_bad_copy", 2, None, ptr(gm), mode)
    assert error is not None and "kernel 'bad_copy' (block 0 of 2)" in error
    for fragment in COPY_ERRORS[mode]:
        assert fragment in error, (fragment, error)


def test_bad_copy_control_mode_is_clean(lib):
    gm = np.zeros(32, dtype=np.float32)
    register(lib, gm)
    assert launch(lib, "launch_bad_copy", 2, None, ptr(gm), 99) is None


QUEUE_ERRORS = {
    0: ["TQue::DeQue", "DeQue on empty queue #0"],
    1: ["TQue::AllocTensor", "all 2 buffers are in use"],
    2: ["TQue::FreeTensor", "double free"],
    3: ["TQue::EnQue", "does not belong to this queue #0"],
    4: ["Duplicate", "already released with FreeTensor"],
    5: ["kernel end", "not returned with FreeTensor"],
}


@pytest.mark.parametrize("mode", sorted(QUEUE_ERRORS))
def test_queue_misuse(lib, mode):
    error = launch(lib, "launch_bad_queue", 1, None, mode)
    assert error is not None and "kernel 'bad_queue'" in error
    for fragment in QUEUE_ERRORS[mode]:
        assert fragment in error, (fragment, error)


def test_errors_are_sticky_until_cleared(lib):
    x = np.ones(8, dtype=np.float32)
    out = np.zeros(8, dtype=np.float32)
    lib.ascendc_sim_clear_error()
    lib.launch_bad_queue(1, None, 0)
    lib.launch_reduce_sum_f32(1, None, ptr(x), ptr(out), 8)  # skipped: an error is pending
    assert b"DeQue on empty" in lib.ascendc_sim_last_error() and out[0] == 0
    lib.ascendc_sim_clear_error()
    lib.launch_reduce_sum_f32(1, None, ptr(x), ptr(out), 8)
    assert lib.ascendc_sim_last_error() is None and out[0] == 8


def test_throw_mode_raises_cpp_exception(lib):
    buffer = ctypes.create_string_buffer(1024)
    assert lib.run_in_throw_mode(buffer, len(buffer)) == 1
    assert "kernel 'bad_queue'" in buffer.value.decode() and "DeQue on empty" in buffer.value.decode()
    assert lib.ascendc_sim_last_error() is None


# ----------------------------------------------------------------------------- compile errors

COMPILE_ERRORS = {
    1: "no matching function for call to 'Muls(",
    2: "use of deleted function 'void operator+(",
    3: "Exp supports half/float only",
    4: "Add: no vector arithmetic on bfloat16_t",
    5: "Cast between these dtypes is not supported",
    6: "PipeBarrier is legal on PIPE_V/PIPE_MTE2/PIPE_MTE3/PIPE_ALL only",
    7: "HardEvent is not legal on a vector core",
}


def check_compile(tmp_path, case: int) -> subprocess.CompletedProcess:
    # The source is named after its kernel so that g++'s "required from here" lines name it.
    return compile_source("compile_cases.cpp", tmp_path, "compile_case_kernel", ["-fsyntax-only", f"-DCASE={case}"])


def test_compile_cases_control_builds(tmp_path):
    result = check_compile(tmp_path, 0)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("case", sorted(COMPILE_ERRORS))
def test_compile_errors(tmp_path, case):
    result = check_compile(tmp_path, case)
    assert result.returncode != 0
    stderr = result.stderr.replace("\u2018", "'").replace("\u2019", "'")
    assert COMPILE_ERRORS[case] in stderr, stderr
    assert "compile_case_kernel" in stderr
