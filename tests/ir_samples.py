"""Hand-built autofuse IR of the fragments, shared by the golden tests of every target (goldens
start from hand-built IR, not from Inductor, so a torch upgrade does not churn them)."""
from __future__ import annotations

import sympy

from inductor_npu_ext.autofuse.ir import (Axis, Buffer, Cast, Compute, Constant, DType, IndexValue,
                                          Kernel, Load, Op, Reduce, ReduceOp, Store)

x0, x1, x2, r0 = sympy.symbols("x0 x1 x2 r0", integer=True, nonnegative=True)
s0, s1, s2 = sympy.symbols("s0 s1 s2", integer=True, positive=True)
F32, BF16 = DType.F32, DType.BF16


def rmsnorm_kernel(rows, n, sizes=()) -> Kernel:
    """y = w * (x * rsqrt(mean(x*x) + 1e-6)), x/w/y bf16, rows x n; `sizes` when rows/n are symbols."""
    mean_divisor = IndexValue("v4", F32, expr=n) if sizes else Constant("v4", F32, value=float(n))
    nodes = (
        Load("v0", BF16, buffer="x", index=r0 + n * x0), Cast("v1", F32, value="v0"),
        Compute("v2", F32, op=Op.MUL, args=("v1", "v1")),
        Reduce("v3", F32, op=ReduceOp.SUM, value="v2"), mean_divisor,
        Compute("v5", F32, op=Op.TRUEDIV, args=("v3", "v4")),
        Constant("v6", F32, value=1e-6), Compute("v7", F32, op=Op.ADD, args=("v5", "v6")),
        Compute("v8", F32, op=Op.RSQRT, args=("v7",)),
        Compute("v9", F32, op=Op.MUL, args=("v1", "v8")),
        Load("v10", BF16, buffer="w", index=r0), Cast("v11", F32, value="v10"),
        Compute("v12", F32, op=Op.MUL, args=("v11", "v9")), Cast("v13", BF16, value="v12"),
        Store("store_y", BF16, buffer="y", index=r0 + n * x0, value="v13"))
    return Kernel("rmsnorm", (Axis(x0, rows),), (Axis(r0, n),),
                  (Buffer("x", BF16, "in"), Buffer("w", BF16, "in"), Buffer("y", BF16, "out")),
                  nodes, sizes=tuple(sizes))


def hc_post_kernel(T, D, H=2) -> Kernel:
    """y[t,k,d] = post[t,k]*x[t,d] + sum_j comb[t,j,k]*res[t,j,d], the sum over H streams unrolled
    (what static shapes give)."""
    nodes = [Load("v0", F32, buffer="post", index=H * x0 + x1),
             Load("v1", BF16, buffer="x", index=D * x0 + x2), Cast("v2", F32, value="v1"),
             Compute("v3", F32, op=Op.MUL, args=("v0", "v2"))]
    total = "v3"
    for j in range(H):
        c, r, rf, m, s = (f"v{5 * j + k + 4}" for k in range(5))
        nodes += [Load(c, F32, buffer="comb", index=H * H * x0 + H * j + x1),
                  Load(r, BF16, buffer="res", index=H * D * x0 + D * j + x2),
                  Cast(rf, F32, value=r), Compute(m, F32, op=Op.MUL, args=(c, rf)),
                  Compute(s, F32, op=Op.ADD, args=(total, m))]
        total = s
    nodes += [Cast(f"v{5 * H + 4}", BF16, value=total),
              Store("store_y", BF16, buffer="y", index=H * D * x0 + D * x1 + x2, value=f"v{5 * H + 4}")]
    buffers = (Buffer("post", F32, "in"), Buffer("x", BF16, "in"), Buffer("comb", F32, "in"),
               Buffer("res", BF16, "in"), Buffer("y", BF16, "out"))
    return Kernel("hc_post", (Axis(x0, T), Axis(x1, H), Axis(x2, D)), (), buffers, tuple(nodes))


def hc_post_reduce_kernel() -> Kernel:
    """hc_post as dynamic=True gives it: T=s0, H=s1, D=s2 and a real reduction over the streams j
    (an outer reduction: j is not the contiguous axis)."""
    T, H, D = s0, s1, s2
    nodes = (Load("v0", F32, buffer="comb", index=H * H * x0 + H * r0 + x1),
             Load("v1", BF16, buffer="res", index=H * D * x0 + D * r0 + x2), Cast("v2", F32, value="v1"),
             Compute("v3", F32, op=Op.MUL, args=("v0", "v2")),
             Reduce("v4", F32, op=ReduceOp.SUM, value="v3"),
             Load("v5", F32, buffer="post", index=H * x0 + x1),
             Load("v6", BF16, buffer="x", index=D * x0 + x2), Cast("v7", F32, value="v6"),
             Compute("v8", F32, op=Op.MUL, args=("v5", "v7")),
             Compute("v9", F32, op=Op.ADD, args=("v8", "v4")), Cast("v10", BF16, value="v9"),
             Store("store_y", BF16, buffer="y", index=H * D * x0 + D * x1 + x2, value="v10"))
    buffers = (Buffer("comb", F32, "in"), Buffer("res", BF16, "in"), Buffer("post", F32, "in"),
               Buffer("x", BF16, "in"), Buffer("y", BF16, "out"))
    return Kernel("hc_post_dyn", (Axis(x0, T), Axis(x1, H), Axis(x2, D)), (Axis(r0, H),), buffers,
                  nodes, sizes=(s0, s1, s2))
