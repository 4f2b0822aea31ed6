"""What generated Inductor wrapper modules call at load time: build-or-load one kernel.

Kept tiny and importable on its own, because an FX-graph-cache hit reloads a wrapper module that
holds only the kernel source and this call."""
from __future__ import annotations

from typing import Callable


def load_kernel(target: str, text: str, arg_types: tuple[str, ...], entry: str) -> Callable:
    """Return a callable running `entry` of the kernel source `text` built for `target`."""
    from . import targets
    return targets.get(target).load(text, tuple(arg_types), entry)
