"""Our counters, kept in Inductor's own counter table under `inductor_npu_ext`.

Keys: kernels_<target> (`-` written `_`), fallbacks, fallback:<reason>, compiler_runs, cache_hits.
"""
from __future__ import annotations

from torch._dynamo.utils import counters

GROUP = "inductor_npu_ext"


def bump(key: str, n: int = 1) -> None:
    counters[GROUP][key] += n


def snapshot() -> dict[str, int]:
    return dict(counters[GROUP])


def kernels_key(target: str) -> str:
    return "kernels_" + target.replace("-", "_")
