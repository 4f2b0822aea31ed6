"""Pass scheduling and the CPU plan on hand-built IR."""
import sympy

from inductor_npu_ext.autofuse import ir
from inductor_npu_ext.autofuse.ir import DType, Op, ReduceOp
from inductor_npu_ext.autofuse.plan import plan_cpu, schedule_passes

x0, r0 = sympy.symbols("x0 r0", integer=True, nonnegative=True)
N = sympy.Symbol("s0", integer=True, positive=True)


def softmax_kernel():
    """Two dependent reductions (max, then sum of exp(x - max)) and an epilogue: three passes."""
    n = [ir.Load("v0", DType.F32, buffer="x", index=x0 * N + r0),
         ir.Reduce("v1", DType.F32, op=ReduceOp.MAX, value="v0"),
         ir.Compute("v2", DType.F32, op=Op.SUB, args=("v0", "v1")),
         ir.Compute("v3", DType.F32, op=Op.EXP, args=("v2",)),
         ir.Reduce("v4", DType.F32, op=ReduceOp.SUM, value="v3"),
         ir.Compute("v5", DType.F32, op=Op.TRUEDIV, args=("v3", "v4")),
         ir.Store("s", DType.F32, buffer="y", index=x0 * N + r0, value="v5")]
    return ir.Kernel("softmax", (ir.Axis(x0, sympy.Integer(8)),), (ir.Axis(r0, N),),
                     (ir.Buffer("x", DType.F32, "in"), ir.Buffer("y", DType.F32, "out")), tuple(n), (N,))


def test_passes_of_softmax():
    passes = schedule_passes(softmax_kernel())
    assert [tuple(n.name for n in p.inside) for p in passes] == [("v0",), ("v0", "v2", "v3"), ("v0", "v2", "v3", "v5", "s")]
    assert [tuple(r.name for r in p.reductions) for p in passes] == [("v1",), ("v4",), ()]


def test_affine_and_not():
    assert ir.affine(3 * x0 + N * r0 + 5, (x0, r0)).stride(r0) == N
    assert ir.affine(ir.FloorDiv(x0, 4) + r0, (x0, r0)) is None


def test_row_reduction_plan():
    plan = plan_cpu(softmax_kernel())
    assert plan.vector_axis is None and plan.lanes == 0
