"""Test-session setup: strict mode (a fallback is an error unless a test expects it) and private,
empty caches for our kernels and Inductor's, set before inductor_npu_ext is imported."""
from __future__ import annotations

import os
import tempfile

_ROOT = tempfile.mkdtemp(prefix="npu_ext_tests_")
os.environ.setdefault("INDUCTOR_NPU_EXT_STRICT", "1")
os.environ.setdefault("INDUCTOR_NPU_EXT_CACHE_DIR", os.path.join(_ROOT, "kernels"))
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", os.path.join(_ROOT, "inductor"))
os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "0")
