"""Configuration, read from the environment once at import and adjustable at run time.

Imports the standard library only. Every setting here is listed in the README.

| env var | default | meaning |
|---|---|---|
| INDUCTOR_NPU_EXT_TARGET | auto | auto, off, cpp, ascendc-sim, ascendc, triton |
| INDUCTOR_NPU_EXT_STRICT | 0 | 1: a kernel our backend cannot build raises instead of falling back |
| INDUCTOR_NPU_EXT_CACHE_DIR | ~/.cache/inductor_npu_ext (or $XDG_CACHE_HOME/...) | kernel cache root |
| INDUCTOR_NPU_EXT_CXX | g++ | host C++ compiler for cpp and ascendc-sim |
| INDUCTOR_NPU_EXT_SOC | (detected) | SoC to plan AscendC for, e.g. Ascend910B3 (40 vector cores); default: torch_npu's, else 48 cores |
| INDUCTOR_NPU_EXT_CXXFLAGS | -O3 -march=native -fno-math-errno -fno-trapping-math | optimisation flags for the cpp target |
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

TARGETS = ("auto", "off", "cpp", "ascendc-sim", "ascendc", "triton")


def _env_bool(name: str) -> bool:
    return os.environ.get(name, "0").strip().lower() in ("1", "true", "yes", "on")


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "inductor_npu_ext")


target: str = os.environ.get("INDUCTOR_NPU_EXT_TARGET", "auto").strip().lower() or "auto"
strict: bool = _env_bool("INDUCTOR_NPU_EXT_STRICT")
cache_dir: str = os.environ.get("INDUCTOR_NPU_EXT_CACHE_DIR") or _default_cache_dir()
cxx: str = os.environ.get("INDUCTOR_NPU_EXT_CXX", "g++")
soc: str = os.environ.get("INDUCTOR_NPU_EXT_SOC", "")
cxxflags: str = os.environ.get("INDUCTOR_NPU_EXT_CXXFLAGS", "-O3 -march=native -fno-math-errno -fno-trapping-math")


def check() -> None:
    """Raise a clear error for a bad setting (called at registration and when patched)."""
    if target not in TARGETS:
        raise ValueError(f"INDUCTOR_NPU_EXT_TARGET={target!r}: expected one of {', '.join(TARGETS)}")


def cache_path() -> Path:
    return Path(cache_dir)


def snapshot() -> dict:
    """The settings that change generated code (they enter the FX-graph-cache key)."""
    return {"target": target, "strict": strict, "cxx": cxx, "cxxflags": cxxflags, "soc": soc}


@contextlib.contextmanager
def patch(**settings):
    """Temporarily change settings: `with config.patch(target="ascendc-sim"): ...`."""
    module = globals()
    old = {k: module[k] for k in settings}
    for k, v in settings.items():
        if k not in ("target", "strict", "cache_dir", "cxx", "cxxflags", "soc"):
            raise AttributeError(f"unknown inductor_npu_ext setting {k!r}")
        module[k] = v
    try:
        check()
        yield
    finally:
        module.update(old)
