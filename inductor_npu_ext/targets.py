"""The targets: how each one plans + renders an autofuse Kernel, and how its source is built,
cached and loaded into a Python callable. Imports torch (for the data-pointer hook), autofuse,
codegen and our cache; target-specific modules register themselves in TARGETS.

A Target's `load(text, arg_types, entry)` is what generated wrapper modules call, so it must work
from the source text alone (an FX-graph-cache hit reloads the module without our scheduling)."""
from __future__ import annotations

import os
import platform
import sysconfig
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol

from . import cache, config
from .autofuse.ir import Kernel
from .autofuse.plan import CpuCaps, plan_cpu
from .codegen import cpp as cpp_codegen
from .codegen.base import ENV, KernelSource

VERSION = "0.1.0"


class Target(Protocol):
    name: str
    device: str

    def available(self) -> tuple[bool, str]: ...
    def render(self, kernel: Kernel) -> KernelSource: ...
    def load(self, text: str, arg_types: tuple[str, ...], entry: str) -> Callable: ...


@lru_cache(maxsize=None)
def host_isa() -> str:
    """CPU model and flags: `-march=native` code is only valid on a matching host."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        wanted = [l for l in lines if l.startswith(("flags", "Features", "model name"))][:3]
        return platform.machine() + "|" + "|".join(sorted(set(wanted)))
    except OSError:
        return platform.machine() + "|" + platform.processor()


def python_include() -> str:
    return sysconfig.get_paths()["include"]


def render_binding(entry: str, arg_types: tuple[str, ...], call: str) -> str:
    """The CPython binding appended to every host-compiled kernel (cpp and ascendc-sim)."""
    return ENV.get_template("cpp/binding.cpp.j2").render(
        module=BINDING_MODULE, entry=entry, arg_types=list(arg_types), call=call)


BINDING_MODULE = "npu_ext_kernel"


def _install_data_ptr_hook() -> None:
    import torch
    os.environ["_TORCHINDUCTOR_PYOBJECT_TENSOR_DATA_PTR"] = str(
        torch._C._dynamo.guards._torchinductor_pyobject_tensor_data_ptr)


class HostCompiledTarget:
    """Shared build/load path of the targets g++ builds as a CPython extension (cpp, ascendc-sim)."""
    name = "host"
    device = "cpu"

    def __init__(self):
        self._loaded: dict[str, Callable] = {}

    def available(self) -> tuple[bool, str]:
        import shutil
        if shutil.which(config.cxx) is None:
            return False, f"compiler {config.cxx!r} not found (INDUCTOR_NPU_EXT_CXX)"
        return True, ""

    def flags(self) -> list[str]:
        raise NotImplementedError

    def translation_unit(self, text: str, arg_types: tuple[str, ...], entry: str) -> str:
        call = f"{entry}({', '.join(f'a{i}' for i in range(len(arg_types)))})"
        return text + "\n" + render_binding(entry, arg_types, call)

    def spec(self, text: str, arg_types: tuple[str, ...], entry: str) -> cache.BuildSpec:
        flags = self.flags()
        unit = self.translation_unit(text, arg_types, entry)
        cxx = config.cxx
        return cache.BuildSpec(
            target=self.name, files={"kernel.cpp": unit},
            command=lambda d: [cxx, *flags, "kernel.cpp", "-o", "kernel.so"],
            artifact="kernel.so",
            key_parts=(VERSION, cache.tool_version(cxx), " ".join(flags), host_isa(),
                       sysconfig.get_config_var("SOABI") or ""))

    def load(self, text: str, arg_types: tuple[str, ...], entry: str) -> Callable:
        spec = self.spec(text, tuple(arg_types), entry)
        key = spec.key
        fn = self._loaded.get(key)
        if fn is None:
            path = cache.build(spec)
            _install_data_ptr_hook()
            fn = self._loaded[key] = cache.load_extension(path, BINDING_MODULE).call
        return fn


class CppTarget(HostCompiledTarget):
    """Reference C++ on the host CPU (the fast CPU path and the numeric oracle)."""
    name = "cpp"

    def flags(self) -> list[str]:
        return [*config.cxxflags.split(), "-DNDEBUG", "-fopenmp", "-shared", "-fPIC", "-std=c++17",
                f"-I{python_include()}"]

    def render(self, kernel: Kernel) -> KernelSource:
        return cpp_codegen.render_kernel(kernel, plan_cpu(kernel, CpuCaps()))


TARGETS: dict[str, Target] = {"cpp": CppTarget()}


def clear_caches() -> None:
    """Forget kernels loaded in this process (the disk cache stays): the next use rebuilds or
    reloads from disk. For benchmarks that measure cold starts, and for tests."""
    for target in TARGETS.values():
        loaded = getattr(target, "_loaded", None)
        if loaded is not None:
            loaded.clear()


def get(name: str) -> Target:
    if name not in TARGETS:
        _import_target(name)
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"inductor_npu_ext: unknown target {name!r}") from None


def _import_target(name: str) -> None:
    """Targets with heavier dependencies register on first use."""
    module = {"ascendc-sim": "ascendc_target", "ascendc": "ascendc_target",
              "triton": "triton_target"}.get(name)
    if module:
        import importlib
        importlib.import_module(f"{__package__}.{module}")
