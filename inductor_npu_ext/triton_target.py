"""The Triton target: plan and render an autofuse Kernel as a Triton module, load it through
Triton's own JIT (and its cache), and register our scheduling for CUDA devices.

Imports the standard library, our config/cache/targets/codegen at import time; triton (and numpy, for
the interpreter) only when a kernel is loaded; torch only in the functions that need it. Triton is
optional: without it `available()` says why and every kernel falls back, nothing else breaks.
Triton cannot target a CPU, so cpu tensors are served only under TRITON_INTERPRET=1 (for tests).
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
import traceback
from pathlib import Path
from typing import Callable

from . import config
from .autofuse.ir import Kernel
from .cache import BuildError
from .codegen import triton as triton_codegen
from .codegen.base import KernelSource, UnsupportedOp
from .targets import TARGETS

log = logging.getLogger("inductor_npu_ext")
NAME = "triton"
KERNEL_PREFIX = "npu_ext_"          # kernel names our scheduling defines in the wrapper


class TritonUnavailable(UnsupportedOp):
    """The target cannot run here (no triton, or cpu tensors without TRITON_INTERPRET=1)."""

    def __init__(self, reason: str):
        super().__init__(NAME, "unavailable", node=reason)   # counted as unsupported_unavailable
        self.reason = reason

    def __str__(self) -> str:
        return f"triton target unavailable: {self.reason}"


def interpreting() -> bool:
    """TRITON_INTERPRET=1, parsed the way Triton parses it."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "on", "yes", "y")


def triton_missing() -> str:
    """Why triton cannot be used in this process at all ("" when it can)."""
    if importlib.util.find_spec("triton") is None:
        return "triton is not installed (pip install 'inductor_npu_ext[triton]')"
    if interpreting() and importlib.util.find_spec("numpy") is None:
        return "TRITON_INTERPRET=1 needs numpy, which is not installed"
    return ""


def _cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def _current_device() -> str | None:
    """The device of the graph being compiled, when called during Inductor codegen."""
    try:
        from torch._inductor.virtualized import V
        return V.graph.get_current_device_or_throw().type
    except Exception:        # outside a graph (goldens, doctor): no device to check
        return None


class TritonTarget:
    """Triton kernels for cuda tensors, or for cpu tensors under the Triton interpreter."""
    name = NAME
    device = "cuda"

    def __init__(self, caps: triton_codegen.TritonCaps = triton_codegen.TritonCaps()):
        self.caps = caps
        self._loaded: dict[tuple[str, bool], Callable] = {}
        self._lock = threading.Lock()

    def available(self, device: str | None = None) -> tuple[bool, str]:
        """(True, "") when kernels for `device` (or for any device, if None) can run here."""
        missing = triton_missing()
        if missing:
            return False, missing
        if device == "cpu" or (device is None and not _cuda_available()):
            if not interpreting():
                return False, ("Triton has no CPU driver: cpu tensors need TRITON_INTERPRET=1 "
                               "(a slow interpreter, for tests)" if device == "cpu" else
                               "no CUDA device, and TRITON_INTERPRET=1 is not set")
        return True, ""

    def render(self, kernel: Kernel) -> KernelSource:
        ok, reason = self.available(_current_device())
        if not ok:
            raise TritonUnavailable(reason)
        plan = triton_codegen.plan_triton(kernel, self.caps)
        return triton_codegen.render_kernel(kernel, plan)

    def load(self, text: str, arg_types: tuple[str, ...], entry: str) -> Callable:
        """The launcher `entry` of the module `text` (memoised per text and interpreter mode)."""
        key = (hashlib.sha256(text.encode()).hexdigest(), interpreting())
        fn = self._loaded.get(key)
        if fn is None:
            missing = triton_missing()
            if missing:
                raise RuntimeError(f"inductor_npu_ext: cannot load a triton kernel: {missing}")
            with self._lock:
                fn = self._loaded.get(key)
                if fn is None:
                    fn = self._loaded[key] = getattr(_import_module(text, *key), entry)
        return fn


def module_path(text: str, digest: str) -> Path:
    """Write the module once per digest (atomically) and return its path; an existing file is
    used only if its text is exactly this one."""
    directory = config.cache_path() / NAME / digest[:2]
    path = directory / f"{KERNEL_PREFIX}{digest[:32]}.py"
    try:
        if path.read_text() == text:
            return path
    except OSError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def _import_module(text: str, digest: str, interpret: bool):
    """Execute the module from its file, so tracebacks, inspect and Triton's cache all see it."""
    path = module_path(text, digest)
    name = f"{KERNEL_PREFIX}triton_{digest[:16]}{'_interpret' if interpret else ''}"
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:   # a bad module is a build failure: the glue falls back and logs it
        raise BuildError(f"{NAME}: executing the generated module failed: {e!r}",
                         ["python", str(path)], path, traceback.format_exc()) from e
    if interpret:
        vars(module).update(interpreter_overrides())
    return module


_NUMPY_LIBDEVICE = {"pow": "power", "atan2": "arctan2", "copysign": "copysign", "expm1": "expm1",
                    "log10": "log10", "log1p": "log1p", "tanh": "tanh", "tan": "tan",
                    "asin": "arcsin", "acos": "arccos", "atan": "arctan", "sinh": "sinh",
                    "cosh": "cosh", "nearbyint": "rint"}


def interpreter_overrides() -> dict:
    """Module globals replaced under the interpreter, on numpy: the libdevice functions TRITON_OPS
    uses (the interpreter raises "extern_elementwise not supported in interpreter mode") and the
    fp32 -> bf16 conversion (the interpreter's truncates; GPUs round to nearest even)."""
    import types

    import numpy as np
    import triton.language as tl
    from triton.runtime.interpreter import TensorHandle

    def tensor(data, dtype, like):
        block = any(a.type.is_block() for a in like)
        shape = tl.block_type(dtype, list(data.shape)) if block else dtype
        return tl.tensor(TensorHandle(data, dtype), shape)

    def lift(np_fn):
        def op(*args):
            data = np_fn(*(a.handle.data for a in args)).astype(args[0].handle.data.dtype)
            return tensor(data, args[0].dtype, args)
        return op

    def to_bf16(x):
        bits = x.handle.data.astype(np.float32).view(np.uint32)
        rounded = ((bits + np.uint32(0x7FFF) + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        quiet = ((bits >> 16) | 0x40).astype(np.uint16)
        return tensor(np.where((bits & 0x7FFFFFFF) > 0x7F800000, quiet, rounded), tl.bfloat16, [x])

    libdevice = types.SimpleNamespace(**{k: lift(getattr(np, v)) for k, v in _NUMPY_LIBDEVICE.items()})
    return {"libdevice": libdevice, "_to_bf16": to_bf16}


# ------------------------------------------------------------------------------------------ cuda
def register_cuda() -> bool:
    """Register our scheduling (target triton) for "cuda"; False, registering nothing, when there
    is no CUDA device or no triton. Call it from registration.register() when no NPU is present."""
    import torch
    if not torch.cuda.is_available() or triton_missing():
        return False
    from torch._inductor.codegen.common import register_backend_for_device
    from torch._inductor.codegen.cpp_wrapper_gpu import CppWrapperGpu
    from torch._inductor.codegen.cuda_combined_scheduling import CUDACombinedScheduling
    from torch._inductor.codegen.wrapper_fxir import WrapperFxCodegen

    from .registration import CacheKeyPass
    from .scheduling import NpuExtScheduling

    class CudaScheduling(NpuExtScheduling):
        stock_class = CUDACombinedScheduling

        @classmethod
        def device_type(cls) -> str:
            return "cuda"

    register_backend_for_device("cuda", CudaScheduling, cuda_wrapper_class(), CppWrapperGpu,
                                device_fx_wrapper_codegen=WrapperFxCodegen,
                                device_custom_pass=CacheKeyPass())
    return True


def cuda_wrapper_class():
    """PythonWrapperCodegen for cuda graphs that calls our kernels as plain Python functions: the
    stock wrapper turns a non-Triton call on cuda into `name.name(args, c_void_p(stream))`.
    Triton launches on the current stream of the current device, which the wrapper's device
    guard has set."""
    from torch._inductor.codegen.wrapper import PythonWrapperCodegen, SubgraphPythonWrapperCodegen

    class PlainCalls:
        def _generate_kernel_call_helper(self, kernel_name, call_args, *, triton=True, **kwargs):
            if not triton and kernel_name.startswith(KERNEL_PREFIX):
                self.writeline(self.wrap_kernel_call(kernel_name, call_args))
                return None
            return super()._generate_kernel_call_helper(kernel_name, call_args, triton=triton,
                                                        **kwargs)

    class CudaSubgraphWrapper(PlainCalls, SubgraphPythonWrapperCodegen):
        pass

    class CudaWrapper(PlainCalls, PythonWrapperCodegen):
        @staticmethod
        def create(is_subgraph, subgraph_name, parent_wrapper, partition_signatures=None):
            if is_subgraph:
                return CudaSubgraphWrapper(subgraph_name, parent_wrapper, partition_signatures)
            return CudaWrapper()

    return CudaWrapper


TARGETS[NAME] = TritonTarget()
