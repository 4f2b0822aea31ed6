"""Registration with Inductor: our scheduling per device, and a custom post-grad pass whose uuid()
enters the FX-graph-cache key so a cached stock (or stale) graph is never reused.

Imports torch (Inductor's registry) and our scheduling."""
from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

import torch
from torch._inductor.custom_graph_pass import CustomGraphModulePass

from . import config

log = logging.getLogger("inductor_npu_ext")
_REGISTERED: list[str] = []
PACKAGE_ROOT = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def sources_digest() -> str:
    """sha256 over every source that shapes generated code: our Python, templates and headers."""
    import importlib.resources as resources
    h = hashlib.sha256()
    roots = [PACKAGE_ROOT]
    for sub in ("autofuse", "codegen", "templates"):
        roots.append(Path(str(resources.files(f"inductor_npu_ext.{sub}"))))
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".j2", ".h") and "__pycache__" not in path.parts:
                h.update(path.name.encode())
                h.update(path.read_bytes())
    return h.hexdigest()


class CacheKeyPass(CustomGraphModulePass):
    """A no-op graph pass; its uuid() makes Inductor's FX-graph cache key ours."""

    def __call__(self, gm: torch.fx.GraphModule) -> None:
        return None

    def uuid(self) -> str:
        snap = ",".join(f"{k}={v}" for k, v in sorted(config.snapshot().items()))
        return hashlib.sha256(f"{sources_digest()}|{snap}".encode()).hexdigest()


def register() -> None:
    """Register our scheduling for the CPU (and, when present, other devices). Idempotent."""
    config.check()
    if config.target == "off" or "cpu" in _REGISTERED:
        return
    from torch._inductor.codegen.common import register_backend_for_device
    from torch._inductor.codegen.cpp import CppScheduling
    from torch._inductor.codegen.cpp_wrapper_cpu import CppWrapperCpu
    from torch._inductor.codegen.wrapper import PythonWrapperCodegen
    from torch._inductor.codegen.wrapper_fxir import WrapperFxCodegen

    from .scheduling import NpuExtScheduling

    class CpuScheduling(NpuExtScheduling):
        stock_class = CppScheduling

    register_backend_for_device("cpu", CpuScheduling, PythonWrapperCodegen, CppWrapperCpu,
                                device_fx_wrapper_codegen=WrapperFxCodegen,
                                device_custom_pass=CacheKeyPass())
    _REGISTERED.append("cpu")
    if config.target in ("auto", "triton") and not npu_present():
        from .triton_target import register_cuda
        if register_cuda():
            _REGISTERED.append("cuda")
    _register_logging()


def npu_present() -> bool:
    """An Ascend NPU usable through torch_npu (which registers `torch.npu` when it loads)."""
    npu = getattr(torch, "npu", None)
    try:
        return bool(npu is not None and npu.is_available())
    except Exception:      # a broken torch_npu install must not break CPU/GPU users
        return False


def _register_logging() -> None:
    """Make `TORCH_LOGS=+inductor_npu_ext` control our logger, like Inductor's own."""
    try:
        from torch._logging._internal import register_log
        register_log("inductor_npu_ext", "inductor_npu_ext")
    except Exception as e:   # logging is a convenience; never block registration on it
        log.debug("could not register TORCH_LOGS name: %s", e)


def registered_devices() -> tuple[str, ...]:
    return tuple(_REGISTERED)
