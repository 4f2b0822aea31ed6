"""The op x target coverage matrix: every Op is in a target's <TARGET>_OPS table, lowered by one of
its rewrites, or listed in its UNSUPPORTED table with a reason (such kernels fall back).
`python -m tests.codegen.test_tables` prints the matrix."""
from __future__ import annotations

import pytest

from inductor_npu_ext.autofuse.ir import Op
from inductor_npu_ext.codegen import ascendc, cpp, triton

ASCENDC_REWRITTEN = {Op.RSQRT, Op.RECIPROCAL, Op.SIGMOID}   # lowered by ASCENDC_REWRITES


def coverage(target: str) -> dict[Op, str]:
    """Op -> 'table' | 'rewrite' | 'unsupported: <reason>' | 'MISSING'."""
    if target == "cpp":
        tables, rewritten, unsupported = [cpp.CPP_OPS], set(), {}
    elif target == "triton":
        tables, rewritten, unsupported = [triton.TRITON_OPS], set(), {}
    else:
        tables = [ascendc.ASCENDC_OPS, ascendc.ASCENDC_SCALAR_OPS]
        rewritten, unsupported = ASCENDC_REWRITTEN, ascendc.ASCENDC_UNSUPPORTED
    result = {}
    for op in Op:
        if any(op in t for t in tables):
            result[op] = "table"
        elif op in rewritten:
            result[op] = "rewrite"
        elif op in unsupported:
            result[op] = f"unsupported: {unsupported[op]}"
        else:
            result[op] = "MISSING"
    return result


@pytest.mark.parametrize("target", ["cpp", "triton", "ascendc"])
def test_every_op_accounted_for(target):
    missing = [op.name for op, how in coverage(target).items() if how == "MISSING"]
    assert not missing, f"{target}: ops neither supported nor listed as unsupported: {missing}"


def test_unsupported_reasons_are_real():
    for op, reason in ascendc.ASCENDC_UNSUPPORTED.items():
        assert reason.strip() and op not in ascendc.ASCENDC_OPS


def test_ascendc_rewrites_exist():
    names = {f.__name__ for f in ascendc.ASCENDC_REWRITES}
    assert names == {"rsqrt_as_div_sqrt", "reciprocal_as_div", "sigmoid_as_exp"}


if __name__ == "__main__":
    cols = ["cpp", "triton", "ascendc"]
    matrix = {t: coverage(t) for t in cols}
    print("| op | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols))
    for op in Op:
        print(f"| {op.value} | " + " | ".join(matrix[t][op].split(":")[0] for t in cols) + " |")
