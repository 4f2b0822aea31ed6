"""The AscendC targets. `ascendc-sim`: the very source `ascendc` would hand to bisheng, with its
`<<<>>>` launches rewritten for our CPU emulation (inductor_npu_ext.sim) and built by g++ with the
CPython binding. `ascendc`: the real NPU: CANN detection (reference/ascendc_api.md 7.4), a bisheng
command line (7.1 / 7.2), a ctypes load, and the current torch_npu stream fetched right before
every launch (8.1). Registers both in targets.TARGETS on import.

Imports our targets/cache/config, codegen.ascendc and sim; torch_npu only lazily, inside
`ascendc` calls. Nothing here runs at `import inductor_npu_ext` time."""
from __future__ import annotations

import ctypes
import glob
import hashlib
import os
import platform
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from . import cache, config, sim
from .autofuse.ascendc_plan import AscendCCaps, caps_for
from .autofuse.ir import Kernel
from .codegen import ascendc as ascendc_codegen
from .codegen.base import KernelSource
from .targets import TARGETS, VERSION, HostCompiledTarget, python_include, render_binding

# After each emulated launch: turn a recorded emulator error into a C++ exception, which the
# binding turns into a Python RuntimeError (the emulator records errors by default).
SIM_CHECK = """
#include <stdexcept>
#include <string>
static void npu_ext_sim_check()
{
    if (const char* error = ascendc_sim::LastError()) {
        std::string message(error);
        ascendc_sim::ClearError();
        throw std::runtime_error(message);
    }
}
"""


class AscendCSimTarget(HostCompiledTarget):
    """AscendC source run under the CPU emulation of the AscendC API subset (any host)."""
    name = "ascendc-sim"
    device = "cpu"

    def __init__(self, caps: AscendCCaps | None = None):
        super().__init__()
        self.fixed_caps = caps

    @property
    def caps(self) -> AscendCCaps:
        """The SoC emulated: INDUCTOR_NPU_EXT_SOC (e.g. Ascend910B3: 40 cores), else 48 cores."""
        return self.fixed_caps or caps_for(config.soc or None)

    def flags(self) -> list[str]:
        return [*sim.compile_flags(), "-O1", "-shared", "-fPIC", f"-I{python_include()}"]

    def render(self, kernel: Kernel) -> KernelSource:
        return ascendc_codegen.render_kernel(kernel, self.caps, target=self.name)

    def translation_unit(self, text: str, arg_types: tuple[str, ...], entry: str) -> str:
        args = ", ".join(["nullptr", *(f"a{i}" for i in range(len(arg_types)))])
        call = (f"ascendc_sim::ClearError(); if ({entry}({args}) != 0) throw std::runtime_error("
                f"\"{entry}: this shape needs more UB than the kernel was planned for\"); "
                "npu_ext_sim_check()")
        return sim.rewrite_launches(text) + SIM_CHECK + "\n" + render_binding(entry, arg_types, call)

    def spec(self, text: str, arg_types: tuple[str, ...], entry: str) -> cache.BuildSpec:
        base = super().spec(text, arg_types, entry)
        return replace(base, key_parts=(*base.key_parts, headers_digest(sim.include_dir())))


def headers_digest(directory: Path) -> str:
    """Hash of the emulation headers: a changed header must rebuild every cached kernel."""
    h = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.h")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------- real NPU
ENV_HOMES = ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME", "ASCEND_HOME")
DEFAULT_HOMES = ("/usr/local/Ascend/ascend-toolkit/latest", "/usr/local/Ascend/cann",
                 "~/Ascend/ascend-toolkit/latest", "~/Ascend/cann")
COMPILERS = ("compiler/ccec_compiler/bin/bisheng", "{arch}-linux/ccec_compiler/bin/bisheng",
             "tools/ccec_compiler/bin/bisheng")
LEGACY_HEADERS = "compiler/tikcpp/tikcfw"             # CANN <= 8.x: kernel_operator.h here
NEW_HEADERS = ("asc/include", "include/ascendc")      # CANN 8.5+ / 9.x
# -mllvm options of the CANN kernel build for dav-c220 (reference/ascendc_api.md 7.1)
CCE_OPTIONS = ("-cce-aicore-stack-size=0x8000", "-cce-aicore-function-stack-size=0x8000",
               "-cce-aicore-record-overflow=true", "-cce-aicore-addr-transform",
               "-cce-aicore-dcci-insert-for-scalar=false")
HOST_LIBS = ("-lruntime", "-lascendcl", "-lstdc++", "-lm", "-ltiling_api", "-lplatform",
             "-lc_sec", "-ldl")


@dataclass(frozen=True)
class Toolkit:
    """A CANN toolkit found on this host: its home, bisheng, and which header layout it has."""
    home: Path
    bisheng: Path
    legacy: bool          # kernel_operator.h under compiler/tikcpp/tikcfw (build with -xcce)


def _candidate_homes(environ) -> list[Path]:
    homes = [environ[k] for k in ENV_HOMES if environ.get(k)]
    homes += [os.path.expanduser(h) for h in DEFAULT_HOMES]
    homes += sorted(glob.glob("/usr/local/Ascend/cann-*"), reverse=True)
    return [Path(h) for h in homes]


def find_toolkit(environ=None) -> tuple[Toolkit | None, str]:
    """Detect CANN (section 7.4): env homes, then the default install dirs; needs bisheng and
    kernel_operator.h. Returns (toolkit, "") or (None, why not)."""
    environ = os.environ if environ is None else environ
    tried = []
    for home in _candidate_homes(environ):
        if not home.is_dir():
            continue
        tried.append(str(home))
        compilers = [home / c.format(arch=platform.machine()) for c in COMPILERS]
        on_path = shutil.which("bisheng", path=environ.get("PATH", ""))
        bisheng = next((c for c in compilers if c.is_file()), Path(on_path) if on_path else None)
        legacy = (home / LEGACY_HEADERS / "kernel_operator.h").is_file()
        new = any((home / d / "kernel_operator.h").is_file() for d in NEW_HEADERS)
        if bisheng and (legacy or new):
            return Toolkit(home, bisheng, legacy), ""
    if not tried:
        return None, ("no CANN toolkit: set ASCEND_HOME_PATH (source <cann>/set_env.sh) or install "
                      "under /usr/local/Ascend")
    return None, f"no bisheng + kernel_operator.h under {', '.join(tried)}"


def bisheng_command(toolkit: Toolkit, source: str, output: str, soc_arch: str = "dav-c220") -> list[str]:
    """The single-file bisheng build of a generated kernel + launcher into a shared library."""
    home = toolkit.home
    if toolkit.legacy:
        tik = home / "compiler" / "tikcpp"
        head = [str(toolkit.bisheng), f"--cce-aicore-arch={soc_arch}", "-O2", "-std=c++17", "-xcce"]
        head += [x for option in CCE_OPTIONS for x in ("-mllvm", option)]
        includes = [home / "include", tik, tik / "tikcfw", tik / "tikcfw" / "impl",
                    tik / "tikcfw" / "interface"]
    else:
        head = [str(toolkit.bisheng), "-x", "asc", "--npu-arch=dav-2201", "-O2", "-std=c++17"]
        includes = [home / "include", *(home / d for d in NEW_HEADERS)]
    return [*head, *(f"-I{p}" for p in includes), f"-L{home / 'lib64'}", *HOST_LIBS,
            "-fPIC", "--shared", source, "-o", output]


class AscendCTarget:
    """AscendC on a real Ascend A2/A3 NPU (bisheng build, ctypes launch on the current stream)."""
    name = "ascendc"
    device = "npu"

    def __init__(self):
        self._loaded: dict[str, Callable] = {}
        self._caps: AscendCCaps | None = None

    def available(self) -> tuple[bool, str]:
        toolkit, why = find_toolkit()
        if toolkit is None:
            return False, why
        try:
            import torch_npu  # noqa: F401
        except ImportError as e:
            return False, f"torch_npu is not importable: {e}"
        return True, ""

    def caps(self) -> AscendCCaps:
        """Vector core count of the current device's SoC (torch_npu), else the 48-core default."""
        if self._caps is None:
            soc = config.soc
            if not soc:
                try:
                    import torch_npu
                    soc = torch_npu.npu.get_soc_name()
                except Exception:  # no device, or an older torch_npu: plan for 48 cores
                    soc = None
            self._caps = caps_for(soc)
        return self._caps

    def render(self, kernel: Kernel) -> KernelSource:
        return ascendc_codegen.render_kernel(kernel, self.caps(), target=self.name)

    def spec(self, text: str) -> cache.BuildSpec:
        toolkit, why = find_toolkit()
        if toolkit is None:
            raise RuntimeError(f"inductor_npu_ext[ascendc]: {why}")
        command = bisheng_command(toolkit, "kernel.cpp", "kernel.so")
        return cache.BuildSpec(
            target=self.name, files={"kernel.cpp": text}, command=lambda d: command,
            artifact="kernel.so",
            key_parts=(VERSION, cache.tool_version(str(toolkit.bisheng)), " ".join(command),
                       self.caps().soc))

    def load(self, text: str, arg_types: tuple[str, ...], entry: str) -> Callable:
        spec = self.spec(text)
        fn = self._loaded.get(spec.key)
        if fn is None:
            library = ctypes.CDLL(str(cache.build(spec)))
            fn = self._loaded[spec.key] = make_npu_caller(getattr(library, entry), arg_types)
        return fn


def make_npu_caller(function, arg_types: tuple[str, ...]) -> Callable:
    """A Python callable `(tensors..., sizes...)` launching on torch_npu's current stream."""
    function.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p if t.endswith("*") else ctypes.c_int64
                                             for t in arg_types]
    function.restype = ctypes.c_int32
    pointers = [t.endswith("*") for t in arg_types]

    def call(*args):
        import torch
        import torch_npu  # noqa: F401  (provides torch.npu)
        stream = torch.npu.current_stream().npu_stream      # drains torch_npu's task queue
        values = [a.data_ptr() if is_ptr else int(a) for a, is_ptr in zip(args, pointers)]
        status = function(stream, *values)
        if status != 0:
            raise RuntimeError(f"inductor_npu_ext[ascendc]: launch returned {status}")
    return call


TARGETS["ascendc-sim"] = AscendCSimTarget()
TARGETS["ascendc"] = AscendCTarget()
