"""Fallback behaviour: an unsupported pattern or an injected failure falls back per kernel with a
counted, logged reason and a correct result; STRICT turns it into an error."""
from __future__ import annotations

import logging

import pytest
import torch
from torch._dynamo.utils import counters

import inductor_npu_ext
from inductor_npu_ext import targets
from inductor_npu_ext.codegen.base import UnsupportedOp
from benchmarks.fragments import rmsnorm


@pytest.fixture(autouse=True)
def _fresh():
    torch._dynamo.reset()
    counters.clear()
    yield
    torch._dynamo.reset()


def gather_scale(x, idx):
    return x[idx] * 2 + 1          # indirect indexing: not in our IR


def test_unsupported_op_falls_back(caplog):
    x, idx = torch.randn(64, 32), torch.randint(0, 64, (16,))
    with inductor_npu_ext.config.patch(target="cpp", strict=False), caplog.at_level(logging.WARNING, "inductor_npu_ext"):
        out = torch.compile(gather_scale)(x, idx)
    torch.testing.assert_close(out, gather_scale(x, idx))
    assert counters["inductor_npu_ext"]["fallbacks"] > 0
    assert any(k.startswith("fallback:") and "indirect" in k for k in counters["inductor_npu_ext"])
    assert "falling back to stock Inductor" in caplog.text and "indirect indexing" in caplog.text


def test_strict_raises():
    x, idx = torch.randn(64, 32), torch.randint(0, 64, (16,))
    with inductor_npu_ext.config.patch(target="cpp", strict=True):
        with pytest.raises(Exception, match="indirect indexing is not supported"):
            torch.compile(gather_scale)(x, idx)


def _fail_render(self, kernel):
    raise UnsupportedOp("cpp", "injected", node=kernel.name)


@pytest.mark.parametrize("T", [1, 64])
def test_injected_failure_in_fused_rmsnorm(monkeypatch, caplog, T):
    """The fusion trap: at T=1 our scheduling fuses RMSNorm's reduction and epilogue, which stock
    CppScheduling would refuse. Falling back must be per original node, so the result is right."""
    monkeypatch.setattr(targets.CppTarget, "render", _fail_render)
    x, w = torch.randn(T, 4096, dtype=torch.bfloat16), torch.randn(4096, dtype=torch.bfloat16)
    with inductor_npu_ext.config.patch(target="cpp", strict=False), caplog.at_level(logging.WARNING, "inductor_npu_ext"):
        out = torch.compile(rmsnorm)(x, w)
    torch.testing.assert_close(out, rmsnorm(x, w), atol=2e-2, rtol=1.6e-2)
    assert counters["inductor_npu_ext"]["fallbacks"] >= 1
    assert counters["inductor_npu_ext"]["kernels_cpp"] == 0
    assert "injected" in caplog.text


def test_compile_error_falls_back_with_saved_source(monkeypatch, caplog):
    """A compiler failure names the saved source and the exact command."""
    real = targets.CppTarget.render

    def broken(self, kernel):
        source = real(self, kernel)
        return type(source)(**{**source.__dict__, "text": source.text + "\n#error injected\n"})

    monkeypatch.setattr(targets.CppTarget, "render", broken)
    x = torch.randn(8, 16)
    with inductor_npu_ext.config.patch(target="cpp", strict=False), caplog.at_level(logging.WARNING, "inductor_npu_ext"):
        out = torch.compile(lambda t: torch.sigmoid(t) * 3)(x)
    torch.testing.assert_close(out, torch.sigmoid(x) * 3)
    assert counters["inductor_npu_ext"]["fallback:compile_error"] == 1
    assert "command: " in caplog.text and "source: " in caplog.text and "kernel.cpp" in caplog.text


def test_off_leaves_stock_inductor():
    with inductor_npu_ext.config.patch(target="off"):
        out = torch.compile(lambda t: t.exp() + 1)(torch.ones(4))
    torch.testing.assert_close(out, torch.ones(4).exp() + 1)
    assert counters["inductor_npu_ext"]["kernels_cpp"] == 0
