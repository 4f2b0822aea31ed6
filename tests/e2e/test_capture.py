"""Capture-level rewrites on hand-built node lists."""
from inductor_npu_ext.autofuse import ir
from inductor_npu_ext.autofuse.ir import DType, Op
from inductor_npu_ext.capture import simplify


def test_store_of_rounding_cast_stores_the_value_and_dead_nodes_go():
    nodes = [ir.Load("v0", DType.BF16, buffer="x", index=0),
             ir.Compute("v1", DType.F32, op=Op.EXP, args=("v0",)),
             ir.Compute("v2", DType.F32, op=Op.SIN, args=("v0",)),          # unused
             ir.Cast("v3", DType.BF16, value="v1"),
             ir.Store("s", DType.BF16, buffer="y", index=0, value="v3")]
    out = simplify(nodes)
    assert [n.name for n in out] == ["v0", "v1", "s"] and out[-1].value == "v1"


def test_cast_to_another_dtype_is_kept():
    nodes = [ir.Load("v0", DType.F32, buffer="x", index=0),
             ir.Cast("v1", DType.F16, value="v0"),
             ir.Store("s", DType.BF16, buffer="y", index=0, value="v1")]      # f16 rounding, then bf16
    assert simplify(nodes) == nodes
