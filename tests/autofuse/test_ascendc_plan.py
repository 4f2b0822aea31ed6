"""The AscendC planner on hand-built IR (torch-free): layouts, modes, and for a dense sample of
token counts T (1..100000) and row lengths (128..16384) a tiling that fits the UB budget, covers
every element exactly once and never asks for more cores than exist.

The kernel builders here (`rmsnorm_kernel`, `hc_post_kernel`) are also the IR of the AscendC
goldens in tests/codegen/test_ascendc_golden.py."""
from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

from inductor_npu_ext.autofuse.ascendc_plan import (AscendCCaps, caps_for, choose_layout,
                                                    clean_kernel, plan_ascendc)
from inductor_npu_ext.autofuse.decomp import apply_rewrites, rsqrt_as_div_sqrt
from inductor_npu_ext.autofuse.ir import (Axis, Buffer, Cast, Compute, Constant, DType, IndexValue,
                                          Kernel, Load, Op, Reduce, ReduceOp, Store)
from inductor_npu_ext.autofuse.plan import PlanError


def sym(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, integer=True, positive=True)


X0, X1, X2, R0 = sym("x0"), sym("x1"), sym("x2"), sym("r0")


def _sizes(*exprs) -> tuple:
    found = set().union(*(sympy.sympify(e).free_symbols for e in exprs))
    return tuple(sorted(found, key=lambda s: s.name))


def rmsnorm_kernel(T, N, dtype=DType.BF16, weight=DType.BF16, name="rmsnorm") -> Kernel:
    """y = weight * (x * rsqrt(mean(x^2) + eps)), as Inductor captures it (x loaded twice; under
    dynamic=True the mean divides by the index value N and eps comes from a 0-d f64 tensor)."""
    T, N = sympy.sympify(T), sympy.sympify(N)
    axes = (Axis(X0, T),) if T != 1 else ()
    row = N * X0 if axes else 0
    dynamic = N.is_Symbol
    nodes = [Load("v0", dtype, buffer="x", index=R0 + row), Cast("v1", DType.F32, value="v0"),
             Compute("v2", DType.F32, op=Op.MUL, args=("v1", "v1")),
             Reduce("v3", DType.F32, op=ReduceOp.SUM, value="v2"),
             Load("v4", weight, buffer="w", index=R0), Cast("v5", DType.F32, value="v4"),
             Load("v6", dtype, buffer="x", index=R0 + row), Cast("v7", DType.F32, value="v6"),
             IndexValue("v8", DType.F32, expr=N) if dynamic else Constant("v8", DType.F32, value=float(N)),
             Compute("v9", DType.F32, op=Op.TRUEDIV, args=("v3", "v8"))]
    if dynamic:
        nodes += [Load("v10", DType.F64, buffer="eps", index=sympy.Integer(0)),
                  Cast("v11", DType.F32, value="v10")]
    else:
        nodes += [Constant("v11", DType.F32, value=1e-6)]
    nodes += [Compute("v12", DType.F32, op=Op.ADD, args=("v9", "v11")),
              Compute("v13", DType.F32, op=Op.RSQRT, args=("v12",)),
              Compute("v14", DType.F32, op=Op.MUL, args=("v7", "v13")),
              Compute("v15", DType.F32, op=Op.MUL, args=("v5", "v14")),
              Cast("v16", dtype, value="v15") if dtype is not DType.F32 else Cast("v16", DType.F32, value="v15"),
              Store("store_out", dtype, buffer="out", index=R0 + row, value="v16")]
    buffers = [Buffer("x", dtype, "in"), Buffer("w", weight, "in")]
    buffers += [Buffer("eps", DType.F64, "in")] if dynamic else []
    return Kernel(name, axes, (Axis(R0, N),), (*buffers, Buffer("out", dtype, "out")),
                  tuple(nodes), _sizes(T, N))


def hc_post_kernel(T, D, H=4, dtype=DType.BF16, dynamic=True, name="hc_post") -> Kernel:
    """y[t,k,:] = post[t,k] * x[t,:] + sum_j comb[t,j,k] * residual[t,j,:]. dynamic: the sum is a
    real reduction over j (an outer reduction: j is not the contiguous axis); static: Inductor
    unrolls it into a pointwise kernel over [T, H, D]."""
    T, D, H = sympy.sympify(T), sympy.sympify(D), sympy.sympify(H)
    out = Store("store_y", dtype, buffer="y", index=H * D * X0 + D * X1 + X2, value="y")
    head = [Load("post", DType.F32, buffer="post", index=H * X0 + X1),
            Load("xb", dtype, buffer="x", index=D * X0 + X2), Cast("xf", DType.F32, value="xb"),
            Compute("px", DType.F32, op=Op.MUL, args=("post", "xf"))]
    buffers = [Buffer("post", DType.F32, "in"), Buffer("x", dtype, "in"),
               Buffer("comb", DType.F32, "in"), Buffer("residual", dtype, "in")]
    if dynamic:
        body = [Load("c", DType.F32, buffer="comb", index=H * H * X0 + H * R0 + X1),
                Load("rb", dtype, buffer="residual", index=H * D * X0 + D * R0 + X2),
                Cast("rf", DType.F32, value="rb"), Compute("m", DType.F32, op=Op.MUL, args=("c", "rf")),
                Reduce("s", DType.F32, op=ReduceOp.SUM, value="m")]
        reduce_axes, total = (Axis(R0, H),), "s"
    else:
        body, total = [], None
        for j in range(int(H)):
            body += [Load(f"c{j}", DType.F32, buffer="comb", index=H * H * X0 + X1 + H * j),
                     Load(f"rb{j}", dtype, buffer="residual", index=H * D * X0 + X2 + D * j),
                     Cast(f"rf{j}", DType.F32, value=f"rb{j}"),
                     Compute(f"m{j}", DType.F32, op=Op.MUL, args=(f"c{j}", f"rf{j}"))]
            if total is not None:
                body.append(Compute(f"s{j}", DType.F32, op=Op.ADD, args=(total, f"m{j}")))
            total = f"m{j}" if total is None else f"s{j}"
        reduce_axes = ()
    tail = [Compute("yf", DType.F32, op=Op.ADD, args=("px", total)),
            Cast("y", dtype, value="yf") if dtype is not DType.F32 else Cast("y", DType.F32, value="yf"), out]
    axes = (Axis(X0, T), Axis(X1, H), Axis(X2, D))
    return Kernel(name, axes, reduce_axes, (*buffers, Buffer("y", dtype, "out")),
                  tuple(head + body + tail), _sizes(T, D, H))


# ------------------------------------------------------------------------------- invariants
def check_tiling(plan, sizes: dict) -> dict:
    """Evaluate the tiling for `sizes` and assert every invariant; returns the fields."""
    caps = plan.caps
    f = plan.evaluate(sizes)
    length, tile, tiles = f["length"], f["tile_len"], f["tiles"]
    assert tile % caps.tile_align == 0 and tile >= caps.tile_align
    assert (tiles - 1) * tile < length <= tiles * tile            # every element in exactly one tile
    assert plan.ub_bytes(f) == f["ub_bytes"] <= caps.ub_budget    # every live buffer x its count
    if plan.modes[f["mode"]].name == "resident":
        assert tiles == 1
    units = f["rows"] if plan.layout.kind == "inner" else f["rows"] * tiles
    assert f["units"] == units
    assert 1 <= f["block_dim"] <= caps.vector_cores
    assert f["block_dim"] == min(caps.vector_cores, units)
    # the former/tail split: contiguous ranges covering [0, units) exactly once
    start = 0
    for core in range(f["block_dim"]):
        count = f["base"] + (1 if core < f["former"] else 0)
        first = core * f["base"] + min(core, f["former"])
        assert first == start and count >= 1
        start += count
    assert start == units
    return f


TOKENS = sorted({1, 2, 3, 7, 47, 48, 49, 64, 95, 96, 97, 1000, 4095, 4096, 4097, 12345, 65536,
                 99999, 100000} | {int(1.37 ** k) for k in range(1, 38)})
ROWS = sorted({128, 129, 200, 512, 513, 1000, 1024, 2047, 2048, 3000, 4096, 4097, 7000, 8191,
               8192, 8193, 9000, 12000, 16383, 16384} | {128 + 131 * k for k in range(0, 125, 7)})


@pytest.mark.parametrize("dtype,weight", [(DType.BF16, DType.BF16), (DType.BF16, DType.F32),
                                          (DType.F32, DType.F32)])
def test_rmsnorm_tiling_dense(dtype, weight):
    T, N = sym("s0"), sym("s1")
    plan = plan_ascendc(rmsnorm_kernel(T, N, dtype, weight))
    assert plan.layout.kind == "inner" and [m.name for m in plan.modes] == ["resident", "stream"]
    modes = set()
    for tokens, row in itertools.product(TOKENS, ROWS):
        modes.add(plan.modes[check_tiling(plan, {T: tokens, N: row})["mode"]].name)
    assert modes == {"resident", "stream"}


def test_hc_post_tiling_dense():
    T, D, H = sym("s0"), sym("s1"), sym("s2")
    plan = plan_ascendc(hc_post_kernel(T, D, H))
    assert plan.layout.kind == "outer" and plan.layout.loops == (Axis(R0, H),)
    for tokens, dim in itertools.product(TOKENS, ROWS):
        check_tiling(plan, {T: tokens, D: dim, H: 4})


def test_hc_post_static_is_pointwise():
    for tokens in (1, 3, 4097):
        plan = plan_ascendc(hc_post_kernel(tokens, 4096, dynamic=False))
        assert plan.layout.kind == "pointwise"
        assert all(expr.is_Integer for _, expr in plan.tiling)
        check_tiling(plan, {})


@pytest.mark.parametrize("seed", range(3))
def test_random_shapes(seed):
    """A random sample over the whole range, on top of the grids."""
    import random
    rng = random.Random(seed)
    T, N = sym("s0"), sym("s1")
    rms = plan_ascendc(rmsnorm_kernel(T, N))
    post = plan_ascendc(hc_post_kernel(T, N, sym("s2")))
    for _ in range(2000):
        tokens, row = rng.randint(1, 100000), rng.randint(128, 16384)
        check_tiling(rms, {T: tokens, N: row})
        check_tiling(post, {T: tokens, N: row, "s2": rng.randint(1, 8)})


def test_small_rows_split_across_cores():
    """One long row (T=1 pointwise) is split into tiles so several cores get work."""
    plan = plan_ascendc(hc_post_kernel(1, 65536, dynamic=False))
    fields = check_tiling(plan, {})
    assert fields["block_dim"] > 4 and fields["tile_len"] >= AscendCCaps().min_split_tile


def test_static_rmsnorm_keeps_one_mode():
    assert [m.name for m in plan_ascendc(rmsnorm_kernel(64, 4096)).modes] == ["resident"]
    assert [m.name for m in plan_ascendc(rmsnorm_kernel(64, 16384, DType.F32, DType.F32)).modes] == ["stream"]


def test_resident_mode_hoists_the_weight():
    plan = plan_ascendc(apply_rewrites(rmsnorm_kernel(64, 1024), [rsqrt_as_div_sqrt]))
    (mode,) = plan.modes
    hoisted = [g for g in mode.groups if g.hoisted]
    assert [g.members for g in hoisted] == [("v4",)]
    assert [s.kind for s in mode.prologue].count("copy_in") == 1
    # x is loaded once per row (the duplicate load was merged), never the weight
    assert [mode.groups[s.group].members for s in mode.body if s.kind == "copy_in"] == [("v0",)]


def _loop_depth_of_copies(mode):
    """For each copy_in of the unit body: the loop kinds enclosing it."""
    stack, found = [], []
    for step in mode.body:
        if step.kind in ("tiles", "axes", "rows"):
            stack.append(step.kind)
        elif step.kind == "end":
            stack.pop()
        elif step.kind == "copy_in":
            found.append((mode.groups[step.group].members, tuple(stack)))
    return found


def test_hc_post_loads_each_tile_once_per_token():
    """x and residual[j] serve all H output rows of a token: never loaded inside the row loop."""
    static = plan_ascendc(hc_post_kernel(sym("s0"), 4096, dynamic=False))
    assert static.layout.inner == (Axis(X1, sympy.Integer(4)),)
    assert _loop_depth_of_copies(static.modes[0]) == [(("xb", "rb0", "rb1", "rb2", "rb3"), ())]
    dynamic = plan_ascendc(hc_post_kernel(sym("s0"), sym("s1"), sym("s2")))
    (mode,) = dynamic.modes
    assert mode.banks == 1 and _loop_depth_of_copies(mode) == [(("xb",), ()), (("rb",), ("axes",))]


def test_ub_budget_counts_double_buffers():
    plan = plan_ascendc(hc_post_kernel(sym("s0"), sym("s1"), sym("s2")))
    (mode,) = plan.modes
    queues = sum(q.buffers * q.slots * q.dtype.itemsize for q in mode.queues)
    assert mode.per_elem == 4 * mode.pool + queues
    assert all(q.buffers == 2 for q in mode.queues)


def test_clean_kernel_merges_duplicate_loads():
    kernel = clean_kernel(rmsnorm_kernel(8, 256))
    loads = [n for n in kernel.nodes if isinstance(n, Load) and n.buffer == "x"]
    assert len(loads) == 1


def test_non_contiguous_axis_is_a_plan_error():
    kernel = rmsnorm_kernel(8, 256)
    transposed = Kernel("t", (Axis(X0, sympy.Integer(8)), Axis(X1, sympy.Integer(16))), (),
                        (Buffer("a", DType.F32, "in"), Buffer("b", DType.F32, "out")),
                        (Load("v0", DType.F32, buffer="a", index=8 * X1 + X0),
                         Store("s", DType.F32, buffer="b", index=16 * X0 + X1, value="v0")))
    assert choose_layout(clean_kernel(kernel)).kind == "inner"
    with pytest.raises(PlanError):
        plan_ascendc(transposed)


def test_caps_per_soc():
    assert caps_for("Ascend910B3").vector_cores == 40
    assert caps_for("Ascend910B4").vector_cores == 40
    assert caps_for("Ascend910_9391").vector_cores == 48
    assert caps_for(None).vector_cores == 48
    plan = plan_ascendc(rmsnorm_kernel(sym("s0"), 1024), caps_for("Ascend910B4"))
    assert check_tiling(plan, {"s0": 4096})["block_dim"] == 40


def test_planner_does_not_import_torch():
    """autofuse/ imported on its own (as the directory, not through inductor_npu_ext, whose
    registration imports torch) pulls in neither torch nor codegen."""
    root = Path(__file__).resolve().parents[2]
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import autofuse.ascendc_plan; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'codegen', 'jinja2')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code, str(root)], check=True)
