"""inductor_npu_ext: a torch.compile (Inductor) backend that lowers fused pointwise/reduction
kernels through our own IR to AscendC (Ascend NPUs), reference C++ (CPU) or Triton (GPU).

`import inductor_npu_ext` registers the backend; INDUCTOR_NPU_EXT_TARGET=off leaves stock Inductor
untouched. See README.md for the targets, the cache, the counters and every setting."""
from __future__ import annotations

from . import config
from .registration import register, registered_devices
from .targets import clear_caches

__version__ = "0.1.0"
__all__ = ["config", "clear_caches", "register", "registered_devices", "__version__"]

register()
