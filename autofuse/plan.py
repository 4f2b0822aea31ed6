"""Target-independent scheduling of a Kernel into passes over the reduction, plus the CPU plan.

Imports autofuse.ir and sympy only. `schedule_passes` says, for every pass over the reduction
axes, which outer nodes run before it, which inner nodes run inside it (ancestors recomputed) and
which reductions it accumulates. Target planners (CPU here, AscendC in ascendc_plan.py) build on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

from .ir import Axis, Kernel, Node, Reduce, Store, affine, store_key


class PlanError(Exception):
    """The kernel has a shape this planner does not handle (the glue falls back)."""


@dataclass(frozen=True)
class Pass:
    """One walk over the reduction axes (or, with no reduction axes, the single pointwise body).
    `before`: outer nodes evaluated once per outer point before the walk; `inside`: inner nodes
    evaluated per reduction point, in order (ancestors from earlier passes recomputed);
    `reductions`: Reduce nodes accumulated during the walk."""
    index: int
    before: tuple[Node, ...]
    inside: tuple[Node, ...]
    reductions: tuple[Reduce, ...]


def schedule_passes(kernel: Kernel) -> tuple[Pass, ...]:
    """Split the kernel into passes; the last pass may have an empty walk (only outer nodes)."""
    keyed = [(store_key(i, n), n) for i, n in enumerate(kernel.nodes)]
    inner, passes = kernel.inner, kernel.passes
    count = max(passes.values(), default=0) + 1
    result = []
    for p in range(count):
        before = tuple(n for k, n in keyed
                       if passes[k] == p and k not in inner and not isinstance(n, Reduce))
        reductions = tuple(n for k, n in keyed if isinstance(n, Reduce) and passes[k] == p + 1)
        # inner nodes are evaluated in the walks that need them: stores of this pass and the
        # operands of its reductions (an inner load used only later is not loaded here)
        roots = {k for k, n in keyed if isinstance(n, Store) and k in inner and passes[k] == p}
        roots |= {r.value for r in reductions if r.value in inner}
        needed = _ancestors(kernel, roots, inner)
        inside = tuple(n for k, n in keyed if k in needed)
        result.append(Pass(p, before, inside, reductions))
    return tuple(result)


def _ancestors(kernel: Kernel, roots: set[str], inner: frozenset[str]) -> set[str]:
    """Inner nodes reachable backwards from `roots` (outer operands are already available)."""
    keyed = {store_key(i, n): n for i, n in enumerate(kernel.nodes)}
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        key = stack.pop()
        if key in seen or key not in inner:
            continue
        seen.add(key)
        stack.extend(keyed[key].operands)
    return seen


def numel(axes: tuple[Axis, ...]) -> sympy.Expr:
    return sympy.Mul(*[a.size for a in axes]) if axes else sympy.Integer(1)


# ------------------------------------------------------------------------------------ CPU plan
@dataclass(frozen=True)
class CpuCaps:
    """What the C++ target declares."""
    grain: int = 32768            # elements of work per call below which OpenMP is not used
    lanes: int = 512              # block width of the lane mode used for outer reductions


@dataclass(frozen=True)
class CpuPlan:
    """Outer axes flattened into one parallel loop. `vector_axis`, when set, is split into blocks
    and kept innermost: for pointwise kernels (lanes == 0) it is the vectorised loop; for outer
    reductions (lanes > 0) each block holds per-lane accumulators and the reduction walks outside
    the lane loop. `passes` from schedule_passes."""
    outer: tuple[Axis, ...]
    vector_axis: Axis | None
    lanes: int
    passes: tuple[Pass, ...]
    work: sympy.Expr               # elements touched per call, for the OpenMP `if` clause
    grain: int


def plan_cpu(kernel: Kernel, caps: CpuCaps = CpuCaps()) -> CpuPlan:
    """Plan a kernel for the reference C++ target."""
    passes = schedule_passes(kernel)
    lanes = 0
    if not kernel.axes:
        outer, vector_axis = kernel.axes, None
    elif not kernel.reduce_axes:
        outer, vector_axis = kernel.axes[:-1], kernel.axes[-1]
    elif is_outer_reduction(kernel):
        outer, vector_axis, lanes = kernel.axes[:-1], kernel.axes[-1], caps.lanes
    else:
        outer, vector_axis = kernel.axes, None
    work = numel(kernel.axes) * numel(kernel.reduce_axes)
    return CpuPlan(outer, vector_axis, lanes, passes, work, caps.grain)


def is_outer_reduction(kernel: Kernel) -> bool:
    """Lane mode pays when the loads that vary along the last outer axis are contiguous along it
    and none of them is contiguous along the reduction (hc_post's and hc_mix's sums over the
    streams). Loads invariant along that axis (per-row scalars like comb[j, k]) do not count."""
    last_r, last_x = kernel.reduce_axes[-1].symbol, kernel.axes[-1].symbol
    symbols = kernel.axis_symbols + kernel.reduce_symbols
    forms = [affine(n.index, symbols) for n in kernel.loads() if n.name in kernel.inner]
    if any(f is None for f in forms):
        return False
    varying = [f for f in forms if f.stride(last_x) != 0]
    return bool(varying) and all(f.stride(last_x) == 1 and f.stride(last_r) != 1 for f in varying)
