"""The triton target on a CPU host, under the Triton interpreter (TRITON_INTERPRET=1): the fragment
suite at small sizes (fp32/bf16, static/dynamic, persistent and looped reductions), op coverage,
what falls back and why, and availability without triton. The same fragments at model sizes run
on CUDA in TestTritonCuda (marked gpu, skipped without a CUDA device)."""
from __future__ import annotations

import pytest

pytest.importorskip("triton", reason="triton is not installed (pip install 'inductor_npu_ext[triton]')")
pytest.importorskip("numpy", reason="the Triton interpreter needs numpy")

import torch  # noqa: E402
from torch._dynamo.utils import counters  # noqa: E402

import inductor_npu_ext  # noqa: E402
from benchmarks.fragments import FRAGMENTS, make_inputs  # noqa: E402
from inductor_npu_ext import triton_target  # noqa: E402
from inductor_npu_ext.codegen.triton import TritonCaps  # noqa: E402
from inductor_npu_ext.targets import TARGETS  # noqa: E402

from .fragment_suite import DTYPES, FragmentTests, _flat  # noqa: E402
from .special_values import values  # noqa: E402

# (fragment, builder keywords, model dim D, kernels per graph or None) at interpreter sizes
SMALL_CASES = {
    "hc_post": ("hc_post", {}, 256, 1),
    "rmsnorm": ("rmsnorm", {}, 256, 1),
    "rmsnorm_200_fp32w": ("rmsnorm", {"N": 200, "weight_dtype": torch.float32}, 256, 1),
    "hc_pre_norm_part": ("hc_pre_norm_part", {}, 64, None),
    "hc_mix": ("hc_mix", {}, 64, None),
    "swiglu": ("swiglu", {"inter": 256}, 256, 1),
    "swiglu_no_weights": ("swiglu", {"inter": 96, "with_weights": False}, 256, 1),
}
LOOPED_CASES = {k: SMALL_CASES[k] for k in ("rmsnorm_200_fp32w", "hc_pre_norm_part", "hc_post")}


@pytest.fixture
def interpret(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")


def over(cases):
    """FragmentTests parametrizes over its own CASES; re-parametrize both tests over `cases`."""
    def decorate(cls):
        cls.CASES = cases
        for name in ("test_dynamic", "test_static"):
            def test(self, case, dtype_name, _base=getattr(FragmentTests, name)):
                _base(self, case, dtype_name)
            test.__name__ = name
            test = pytest.mark.parametrize("case", list(cases))(test)
            setattr(cls, name, pytest.mark.parametrize("dtype_name", list(DTYPES))(test))
        return cls
    return decorate


@over(SMALL_CASES)
class TestTritonInterpret(FragmentTests):
    TARGET = "triton"
    DYNAMIC_T = (1, 3, 16)
    STATIC_T = (1, 3, 16)

    @pytest.fixture(autouse=True)
    def _interpret(self, interpret):
        yield


@over(LOOPED_CASES)
class TestTritonInterpretLooped(TestTritonInterpret):
    """Every reduction takes the looped kernel (RBLOCK chunks, masked tails): rows of 200 and 256,
    and dynamic hc_post's sum over the 4 streams (one chunk, mostly masked)."""

    @pytest.fixture(autouse=True)
    def _small_caps(self, monkeypatch):
        monkeypatch.setattr(TARGETS["triton"], "caps", TritonCaps(max_persistent_rblock=2, loop_rblock=64))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
class TestTritonCuda(FragmentTests):
    """The full-size suite on CUDA tensors, through our scheduling registered for "cuda"."""
    TARGET = "triton"

    @pytest.fixture(autouse=True)
    def _cuda(self, monkeypatch):
        monkeypatch.delenv("TRITON_INTERPRET", raising=False)
        assert triton_target.register_cuda()

    def check(self, case: str, dtype_name: str, T: int, fn):
        name, kw, D, _ = self.CASES[case]
        dtype = DTYPES[dtype_name]
        args = make_inputs(name, T, dtype, D=D, seed=T, device="cuda", **kw)
        expected = FRAGMENTS[name].fn(*args)
        atol, rtol = FRAGMENTS[name].tolerance(dtype)
        for a, e in zip(_flat(fn(*args)), _flat(expected)):
            assert a.device.type == "cuda" and a.dtype == e.dtype and a.shape == e.shape
            torch.testing.assert_close(a, e, atol=atol, rtol=rtol, equal_nan=True)


# ------------------------------------------------------------------------------------ op coverage
UNARY = ["abs", "exp", "exp2", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sigmoid",
         "tanh", "erf", "sin", "cos", "floor", "ceil", "trunc", "round", "sign", "neg", "relu",
         "isnan", "isinf", "log2", "atan", "sinh", "log10", "tan", "asin", "acos", "cosh"]
BINARY = ["add", "sub", "mul", "div", "pow", "minimum", "maximum", "fmod", "remainder", "atan2",
          "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_xor", "copysign"]


@pytest.fixture
def triton_cpu(interpret):
    torch._dynamo.reset()
    counters.clear()
    with inductor_npu_ext.config.patch(target="triton", strict=True):
        yield
    torch._dynamo.reset()


def compare(fn, *args, atol=1e-5, rtol=1e-5):
    expected = fn(*args)
    actual = torch.compile(fn)(*args)
    torch.testing.assert_close(actual, expected, atol=atol, rtol=rtol, equal_nan=True)
    assert counters["inductor_npu_ext"]["kernels_triton"] >= 1
    assert counters["inductor_npu_ext"]["fallbacks"] == 0


@pytest.mark.parametrize("op", UNARY)
def test_unary(triton_cpu, op):
    compare(lambda x: getattr(torch, op)(x * 1.0), values(37))


@pytest.mark.parametrize("op", ["exp", "rsqrt", "sigmoid", "tanh", "round"])
def test_unary_bf16(triton_cpu, op):
    compare(lambda x: getattr(torch, op)(x * 1.0), values(37, torch.bfloat16), atol=1e-2, rtol=1e-2)


@pytest.mark.parametrize("op", BINARY)
def test_binary(triton_cpu, op):
    fn = getattr(torch, op)
    compare(lambda a, b: fn(a, b), values(41), values(41, seed=1).flip(0))


def test_floor_divide_finite(triton_cpu):
    """floor_divide reaches us as floor(truediv) (capture), which differs from eager for +-inf."""
    a, b = torch.nan_to_num(values(41), posinf=7.0, neginf=-7.0), values(41, seed=1).flip(0)
    compare(torch.floor_divide, a, torch.where(b == 0, 1.0, b))


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.int8, torch.uint8])
def test_integer_math(triton_cpu, dtype):
    a = torch.randint(-50 if dtype != torch.uint8 else 0, 50, (33,)).to(dtype)
    b = torch.randint(1, 7, (33,)).to(dtype)
    compare(lambda a, b: (a * 3 + b, a // b, a % b, torch.maximum(a, b), (a > b) & (b < 4)), a, b)


def test_casts_where_and_masked_loads(triton_cpu):
    x = torch.nan_to_num(values(50) * 100)
    compare(lambda x: (x.to(torch.int32), x.to(torch.bfloat16), x.to(torch.float16),
                       (x > 0).to(torch.float32), x.to(torch.bool), x.to(torch.int8).float()), x)
    compare(lambda x: torch.where(x > 0, x, x * 0.5)
            + torch.nn.functional.pad(x, (3, 2), value=1.5)[2:52], values(50))


@pytest.mark.parametrize("shape", [(1, 7), (5, 300)])
def test_reductions(triton_cpu, shape):
    x = torch.randn(shape)
    x[0, 0] = float("nan") if shape[1] > 7 else x[0, 0]
    compare(lambda x: (x.sum(-1), x.amax(-1), x.amin(-1), x.prod(-1), (x > 1).any(-1)), x,
            atol=1e-4, rtol=1e-4)


def test_softmax_outer_reduction_empty(triton_cpu):
    compare(lambda x: torch.softmax(x, -1), torch.randn(6, 100) * 4, atol=1e-5, rtol=1e-4)
    compare(lambda x: x.sum(0) + x.mean(1).sum(), torch.randn(64, 33).t(), atol=1e-4, rtol=1e-4)
    compare(lambda x: x.exp() + 1, torch.randn(0, 4))


# ------------------------------------------------------------------------ fallback, availability
def test_argmax_falls_back_with_reason(interpret):
    """Triton has no argmax/argmin rule: that kernel goes to stock Inductor, counted and logged."""
    torch._dynamo.reset()
    counters.clear()
    x = torch.randn(4, 50)
    with inductor_npu_ext.config.patch(target="triton", strict=False):
        torch.testing.assert_close(torch.compile(lambda x: x.argmax(-1))(x), x.argmax(-1))
    assert counters["inductor_npu_ext"]["fallback:unsupported_argmax"] >= 1
    torch._dynamo.reset()


def test_cpu_without_interpreter_is_unavailable(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    ok, reason = triton_target.TritonTarget().available("cpu")
    assert not ok and "TRITON_INTERPRET=1" in reason
    torch._dynamo.reset()
    counters.clear()
    with inductor_npu_ext.config.patch(target="triton", strict=False):
        x = torch.randn(8, 16)
        torch.testing.assert_close(torch.compile(lambda x: x.exp() * 2)(x), x.exp() * 2)
    assert counters["inductor_npu_ext"]["fallback:unsupported_unavailable"] >= 1
    torch._dynamo.reset()


def test_without_triton_installed(monkeypatch, interpret):
    real_find_spec = triton_target.importlib.util.find_spec
    monkeypatch.setattr(triton_target.importlib.util, "find_spec",
                        lambda name, *a: None if name == "triton" else real_find_spec(name, *a))
    ok, reason = triton_target.TritonTarget().available()
    assert not ok and "not installed" in reason
    with pytest.raises(triton_target.TritonUnavailable, match="not installed"):
        triton_target.TritonTarget().render(None)
    with pytest.raises(RuntimeError, match="not installed"):
        triton_target.TritonTarget().load("x = 1\n", (), "x")


def test_bad_module_is_a_build_error(interpret):
    from inductor_npu_ext.cache import BuildError
    with pytest.raises(BuildError, match="executing the generated module failed"):
        triton_target.TritonTarget().load("def call(:\n", (), "call")
