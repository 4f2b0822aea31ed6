"""Render an autofuse Kernel + CpuPlan as reference C++ (OpenMP over outer rows, a vectorisable
innermost loop, fp32 compute for fp16/bf16). Imports autofuse and codegen.base, never torch."""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ..autofuse.ir import (Cast, Compute, Constant, DType, IndexValue, Kernel, Load, Node, Op,
                           Reduce, ReduceOp, Store)
from ..autofuse.plan import CpuPlan, Pass
from .base import ENV, IndexPrinter, KernelSource, OpTable, UnsupportedOp, apply_rule, format_float

TARGET = "cpp"

# C++ type of a value in registers (fp16/bf16 live in float) and of a buffer element in memory.
VALUE_TYPE = {DType.F64: "double", DType.F32: "float", DType.F16: "float", DType.BF16: "float",
              DType.I64: "int64_t", DType.I32: "int32_t", DType.I16: "int16_t", DType.I8: "int8_t",
              DType.U8: "uint8_t", DType.BOOL: "bool"}
MEMORY_TYPE = {**VALUE_TYPE, DType.F16: "uint16_t", DType.BF16: "uint16_t"}


def _minmax(name: str):
    # torch.maximum/minimum propagate NaN from either side; integers use std::max/min
    def rule(a: str, b: str, dtype: DType) -> str:
        if dtype.is_float:
            return f"npu_ext::nan_{name}({a}, {b})"
        return f"std::{name}<{VALUE_TYPE[dtype]}>({a}, {b})"
    return rule


def _float_or_int(float_form: str, int_form: str):
    def rule(a: str, b: str, dtype: DType) -> str:
        return (float_form if dtype.is_float else int_form).format(a=a, b=b)
    return rule


CPP_OPS: OpTable = {
    Op.ADD: "({a} + {b})",
    Op.SUB: "({a} - {b})",
    Op.MUL: "({a} * {b})",
    Op.TRUEDIV: "({a} / {b})",
    Op.FLOORDIV: _float_or_int("std::floor({a} / {b})", "npu_ext::floordiv({a}, {b})"),
    Op.TRUNCDIV: _float_or_int("std::trunc({a} / {b})", "({a} / {b})"),
    Op.FMOD: _float_or_int("std::fmod({a}, {b})", "({a} % {b})"),
    Op.REMAINDER: "npu_ext::remainder({a}, {b})",
    Op.POW: "std::pow({a}, {b})",
    Op.MAXIMUM: _minmax("max"),
    Op.MINIMUM: _minmax("min"),
    Op.ATAN2: "std::atan2({a}, {b})",
    Op.COPYSIGN: "std::copysign({a}, {b})",
    Op.NEG: "(-{x})",
    Op.ABS: "std::abs({x})",
    Op.EXP: "std::exp({x})",
    Op.EXP2: "std::exp2({x})",
    Op.EXPM1: "std::expm1({x})",
    Op.LOG: "std::log({x})",
    Op.LOG2: "std::log2({x})",
    Op.LOG10: "std::log10({x})",
    Op.LOG1P: "std::log1p({x})",
    Op.SQRT: "std::sqrt({x})",
    Op.RSQRT: "(1 / std::sqrt({x}))",
    Op.RECIPROCAL: "(1 / {x})",
    Op.SIGMOID: "(1 / (1 + std::exp(-{x})))",
    Op.TANH: "std::tanh({x})",
    Op.ERF: "std::erf({x})",
    Op.SIN: "std::sin({x})",
    Op.COS: "std::cos({x})",
    Op.TAN: "std::tan({x})",
    Op.ASIN: "std::asin({x})",
    Op.ACOS: "std::acos({x})",
    Op.ATAN: "std::atan({x})",
    Op.SINH: "std::sinh({x})",
    Op.COSH: "std::cosh({x})",
    Op.FLOOR: "std::floor({x})",
    Op.CEIL: "std::ceil({x})",
    Op.TRUNC: "std::trunc({x})",
    Op.ROUND: "std::nearbyint({x})",    # default FP environment rounds half to even, like torch
    Op.SIGN: "npu_ext::sign({x})",
    Op.RELU: "({x} < 0 ? 0 : {x})",      # keeps NaN, like torch.relu
    Op.ISNAN: "std::isnan({x})",
    Op.ISINF: "std::isinf({x})",
    Op.SQUARE: "({x} * {x})",
    Op.EQ: "({a} == {b})",
    Op.NE: "({a} != {b})",
    Op.LT: "({a} < {b})",
    Op.LE: "({a} <= {b})",
    Op.GT: "({a} > {b})",
    Op.GE: "({a} >= {b})",
    Op.LOGICAL_AND: "({a} && {b})",
    Op.LOGICAL_OR: "({a} || {b})",
    Op.LOGICAL_XOR: "(bool({a}) != bool({b}))",
    Op.LOGICAL_NOT: "(!{x})",
    Op.BITWISE_AND: "({a} & {b})",
    Op.BITWISE_OR: "({a} | {b})",
    Op.BITWISE_XOR: "({a} ^ {b})",
    Op.BITWISE_NOT: "npu_ext::bitwise_not({x})",
    Op.WHERE: "({cond} ? {a} : {b})",
}

# accumulator init and update per reduction; {acc} {v} {idx} placeholders
REDUCE_INIT = {ReduceOp.SUM: "0", ReduceOp.PROD: "1", ReduceOp.ANY: "false",
               ReduceOp.MAX: "npu_ext::lowest<{t}>()", ReduceOp.MIN: "npu_ext::highest<{t}>()"}
REDUCE_UPDATE = {ReduceOp.SUM: "{acc} += {v};", ReduceOp.PROD: "{acc} *= {v};",
                 ReduceOp.ANY: "{acc} = {acc} || {v};",
                 ReduceOp.MAX: "{acc} = npu_ext::nan_max({acc}, {v});",
                 ReduceOp.MIN: "{acc} = npu_ext::nan_min({acc}, {v});",
                 ReduceOp.ARGMAX: "npu_ext::arg_update<true>({acc}, {acc}_i, {v}, {idx});",
                 ReduceOp.ARGMIN: "npu_ext::arg_update<false>({acc}, {acc}_i, {v}, {idx});"}


@dataclass
class _Ctx:
    """Explicit rendering context: the kernel, its index printer and the accumulator names."""
    kernel: Kernel
    index: IndexPrinter
    acc: dict[str, str] = field(default_factory=dict)


def render_value(node: Node, ctx: _Ctx) -> str:
    """The C++ expression computing one non-store, non-reduce node."""
    k = ctx.kernel
    if isinstance(node, Load):
        buf = k.buffer_map[node.buffer]
        raw = f"{node.buffer}[{ctx.index(node.index)}]"
        value = {DType.BF16: f"npu_ext::bf16_to_f32({raw})",
                 DType.F16: f"npu_ext::f16_to_f32({raw})"}.get(buf.dtype, raw)
        if node.mask:
            other = _literal(node.other, node.dtype)
            return f"({node.mask} ? {VALUE_TYPE[node.dtype]}({value}) : {other})"
        return value
    if isinstance(node, Constant):
        return _literal(node.value, node.dtype)
    if isinstance(node, IndexValue):
        return f"static_cast<{VALUE_TYPE[node.dtype]}>({ctx.index(node.expr)})"
    if isinstance(node, Cast):
        return _cast(node.value, k.by_name[node.value].dtype, node.dtype)
    if isinstance(node, Compute):
        arg_dtype = k.by_name[node.args[-1]].dtype.compute
        return apply_rule(CPP_OPS, TARGET, node.op, list(node.args), arg_dtype, node.name)
    raise UnsupportedOp(TARGET, type(node).__name__, node=node.name)


def _literal(value, dtype: DType) -> str:
    if dtype is DType.BOOL:
        return "true" if value else "false"
    if dtype.is_float:
        return format_float(float(value), "" if dtype is DType.F64 else "f")
    return f"static_cast<{VALUE_TYPE[dtype]}>({int(value)}LL)"


def _cast(value: str, src: DType, dst: DType) -> str:
    if dst is DType.BF16:
        return f"npu_ext::round_bf16({value})"
    if dst is DType.F16:
        return f"npu_ext::round_f16({value})"
    if dst is DType.BOOL:
        return f"({value} != 0)"
    return f"static_cast<{VALUE_TYPE[dst]}>({value})"


def _store(node: Store, ctx: _Ctx) -> str:
    dtype = ctx.kernel.buffer_map[node.buffer].dtype
    value = {DType.BF16: f"npu_ext::f32_to_bf16({node.value})",
             DType.F16: f"npu_ext::f32_to_f16({node.value})"}.get(
        dtype, f"static_cast<{MEMORY_TYPE[dtype]}>({node.value})")
    return f"{node.buffer}[{ctx.index(node.index)}] = {value};"


def render_nodes(nodes, ctx: _Ctx) -> list[str]:
    """Straight-line statements for nodes (no reductions)."""
    lines = []
    for node in nodes:
        if isinstance(node, Store):
            lines.append(_store(node, ctx))
        else:
            lines.append(f"const {VALUE_TYPE[node.dtype]} {node.name} = {render_value(node, ctx)};")
    return lines


def render_pass(p: Pass, ctx: _Ctx) -> list[str]:
    """One pass: outer nodes, then (if needed) the walk over the reduction axes."""
    lines = render_nodes(p.before, ctx)
    if not (p.inside or p.reductions):
        return lines
    raxes = ctx.kernel.reduce_axes
    for red in p.reductions:
        acc = ctx.acc[red.name] = f"acc_{red.name}"
        t = VALUE_TYPE[red.dtype.compute if red.op not in (ReduceOp.ARGMAX, ReduceOp.ARGMIN)
                       else ctx.kernel.by_name[red.value].dtype.compute]
        if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN):
            init = "npu_ext::lowest<{t}>()" if red.op is ReduceOp.ARGMAX else "npu_ext::highest<{t}>()"
            lines += [f"{t} {acc} = {init.format(t=t)};", f"int64_t {acc}_i = -1;"]
        else:
            lines.append(f"{t} {acc} = {REDUCE_INIT[red.op].format(t=t)};")
    simd = all(r.op in (ReduceOp.SUM, ReduceOp.PROD) for r in p.reductions)
    ops = {ReduceOp.SUM: "+", ReduceOp.PROD: "*"}
    clause = " ".join(f"reduction({ops[r.op]}:{ctx.acc[r.name]})" for r in p.reductions)
    body = render_nodes(p.inside, ctx)
    flat = " + ".join(f"{ctx.index(a.symbol)} * {ctx.index(_stride(raxes, i))}"
                      for i, a in enumerate(raxes))
    for red in p.reductions:
        body.append(REDUCE_UPDATE[red.op].format(acc=ctx.acc[red.name], v=red.value, idx=f"({flat})"))
    lines += _loops(raxes, body, ctx, f"#pragma omp simd {clause}".rstrip() if simd else None)
    for red in p.reductions:
        index = "_i" if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN) else ""
        lines.append(f"const {VALUE_TYPE[red.dtype]} {red.name} = {ctx.acc[red.name]}{index};")
    return lines


def _stride(axes, i: int) -> sympy.Expr:
    return sympy.Mul(*[a.size for a in axes[i + 1:]]) if i + 1 < len(axes) else sympy.Integer(1)


def _loops(axes, body: list[str], ctx: _Ctx, pragma: str | None) -> list[str]:
    """Nested for-loops over axes; the pragma goes on the innermost one."""
    lines = body
    for depth, axis in reversed(list(enumerate(axes))):
        head = f"for (int64_t {axis.symbol} = 0; {axis.symbol} < {ctx.index(axis.size)}; ++{axis.symbol}) {{"
        inner = ["    " + line for line in lines]
        lines = ([pragma] if pragma and depth == len(axes) - 1 else []) + [head] + inner + ["}"]
    return lines


def render_body(kernel: Kernel, plan: CpuPlan, ctx: _Ctx) -> list[str]:
    """The whole function body: parallel loop over outer rows (or blocks of the vector axis)."""
    inner: list[str] = []
    for p in plan.passes:
        inner += render_pass(p, ctx)
    outer = plan.outer
    size_lines = [f"const int64_t n_outer = {ctx.index(sympy.Mul(*[a.size for a in outer]))};"]
    decompose = [f"const int64_t {a.symbol} = (xo / {ctx.index(_stride(outer, i))}) % "
                 f"{ctx.index(a.size)};" for i, a in enumerate(outer)]
    vec = plan.vector_axis
    if vec is not None:
        block = 4096
        size_lines.append(f"const int64_t n_block = ({ctx.index(vec.size)} + {block - 1}) / {block};")
        loop = [f"for (int64_t xb = 0; xb < n_outer * n_block; ++xb) {{",
                "    const int64_t xo = xb / n_block;",
                f"    const int64_t v_lo = (xb % n_block) * {block};",
                f"    const int64_t v_hi = std::min<int64_t>(v_lo + {block}, {ctx.index(vec.size)});"]
        loop += ["    " + d for d in decompose]
        loop += ["    #pragma omp simd", f"    for (int64_t {vec.symbol} = v_lo; {vec.symbol} < v_hi; ++{vec.symbol}) {{"]
        loop += ["        " + line for line in inner] + ["    }", "}"]
    else:
        loop = ["for (int64_t xo = 0; xo < n_outer; ++xo) {"]
        loop += ["    " + d for d in decompose] + ["    " + line for line in inner] + ["}"]
    parallel = f"#pragma omp parallel for schedule(static) if(({ctx.index(plan.work)}) >= {plan.grain})"
    return size_lines + [parallel] + loop


def render_kernel(kernel: Kernel, plan: CpuPlan, entry: str = "kernel") -> KernelSource:
    """Render the C++ translation unit (kernel + CPython binding) for one kernel."""
    names = {s: s.name for s in (*kernel.axis_symbols, *kernel.reduce_symbols, *kernel.sizes)}
    ctx = _Ctx(kernel, IndexPrinter(names))
    body = render_body(kernel, plan, ctx)
    arg_types = [("const " if b.role == "in" else "") + MEMORY_TYPE[b.dtype] + "*" for b in kernel.buffers]
    arg_types += ["int64_t"] * len(kernel.sizes)
    arg_names = [b.name for b in kernel.buffers] + [s.name for s in kernel.sizes]
    params = [f"{t} {'__restrict__ ' if t.endswith('*') else ''}{n}" for t, n in zip(arg_types, arg_names)]
    text = ENV.get_template("cpp/kernel.cpp.j2").render(
        kernel_name=kernel.name, entry=entry, params=params, body=body,
        origin=kernel.origin.splitlines())
    return KernelSource(TARGET, kernel.name, text, entry, tuple(arg_names), tuple(arg_types))
