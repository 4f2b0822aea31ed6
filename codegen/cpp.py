"""Render an autofuse Kernel + CpuPlan as reference C++ (OpenMP over outer rows, a vectorisable
innermost loop, fp32 compute for fp16/bf16). Imports autofuse and codegen.base, never torch."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..autofuse.ir import (Cast, Compute, Constant, DType, IndexValue, Kernel, Load, Node, Op,
                           Reduce, ReduceOp, Store)
from ..autofuse.plan import CpuPlan, Pass, numel
from .base import (ENV, IndexPrinter, KernelSource, OpTable, UnsupportedOp, apply_rule, float_or_int,
                   format_float)

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


CPP_OPS: OpTable = {
    Op.ADD: "({a} + {b})",
    Op.SUB: "({a} - {b})",
    Op.MUL: "({a} * {b})",
    Op.TRUEDIV: "({a} / {b})",
    Op.FLOORDIV: "npu_ext::floordiv({a}, {b})",
    Op.TRUNCDIV: float_or_int("std::trunc({a} / {b})", "({a} / {b})"),
    Op.FMOD: float_or_int("std::fmod({a}, {b})", "({a} % {b})"),
    Op.REMAINDER: "npu_ext::remainder({a}, {b})",
    Op.POW: "std::pow({a}, {b})",
    Op.MAXIMUM: _minmax("max"),
    Op.MINIMUM: _minmax("min"),
    Op.ATAN2: "std::atan2({a}, {b})",
    Op.COPYSIGN: "std::copysign({a}, {b})",
    Op.NEG: "(-{x})",
    Op.ABS: "std::abs({x})",
    Op.EXP: "npu_ext::exp({x})",
    Op.EXP2: "std::exp2({x})",
    Op.EXPM1: "std::expm1({x})",
    Op.LOG: "std::log({x})",
    Op.LOG2: "std::log2({x})",
    Op.LOG10: "std::log10({x})",
    Op.LOG1P: "std::log1p({x})",
    Op.SQRT: "std::sqrt({x})",
    Op.RSQRT: "(1 / std::sqrt({x}))",
    Op.RECIPROCAL: "(1 / {x})",
    Op.SIGMOID: "(1 / (1 + npu_ext::exp(-{x})))",
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
                 ReduceOp.ARGMAX: "npu_ext::arg_update<true>({acc}, {acc_i}, {v}, {idx});",
                 ReduceOp.ARGMIN: "npu_ext::arg_update<false>({acc}, {acc_i}, {v}, {idx});"}


@dataclass
class _Ctx:
    """Explicit rendering context: the kernel, its index printer, accumulator names, and the outer
    values held per lane (lane mode: `name[l]`) rather than as scalars."""
    kernel: Kernel
    index: IndexPrinter
    acc: dict[str, str] = field(default_factory=dict)
    lane_values: set[str] = field(default_factory=set)

    def ref(self, name: str) -> str:
        return f"{name}[l]" if name in self.lane_values else name


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
            return f"({ctx.ref(node.mask)} ? {VALUE_TYPE[node.dtype]}({value}) : {other})"
        return value
    if isinstance(node, Constant):
        return _literal(node.value, node.dtype)
    if isinstance(node, IndexValue):
        return f"static_cast<{VALUE_TYPE[node.dtype]}>({ctx.index(node.expr)})"
    if isinstance(node, Cast):
        return _cast(ctx.ref(node.value), node.dtype)
    if isinstance(node, Compute):
        arg_dtype = k.by_name[node.args[-1]].dtype.compute
        args = [ctx.ref(a) for a in node.args]
        return apply_rule(CPP_OPS, TARGET, node.op, args, arg_dtype, node.name)
    raise UnsupportedOp(TARGET, type(node).__name__, node=node.name)


def _literal(value, dtype: DType) -> str:
    if dtype is DType.BOOL:
        return "true" if value else "false"
    if dtype.is_float:
        return format_float(float(value), "" if dtype is DType.F64 else "f")
    return f"static_cast<{VALUE_TYPE[dtype]}>({int(value)}LL)"


def _cast(value: str, dst: DType) -> str:
    if dst is DType.BF16:
        return f"npu_ext::round_bf16({value})"
    if dst is DType.F16:
        return f"npu_ext::round_f16({value})"
    if dst is DType.BOOL:
        return f"({value} != 0)"
    return f"static_cast<{VALUE_TYPE[dst]}>({value})"


def _store(node: Store, ctx: _Ctx) -> str:
    dtype = ctx.kernel.buffer_map[node.buffer].dtype
    value = ctx.ref(node.value)
    value = {DType.BF16: f"npu_ext::f32_to_bf16({value})",
             DType.F16: f"npu_ext::f32_to_f16({value})"}.get(
        dtype, f"static_cast<{MEMORY_TYPE[dtype]}>({value})")
    return f"{node.buffer}[{ctx.index(node.index)}] = {value};"


def render_nodes(nodes, ctx: _Ctx, lane: bool = False) -> list[str]:
    """Straight-line statements; with `lane`, values are written into per-lane arrays."""
    lines = []
    for node in nodes:
        if isinstance(node, Store):
            lines.append(_store(node, ctx))
        elif lane:
            lines.append(f"{node.name}[l] = {render_value(node, ctx)};")
        else:
            lines.append(f"const {VALUE_TYPE[node.dtype]} {node.name} = {render_value(node, ctx)};")
    return lines


def _acc_type(red: Reduce, ctx: _Ctx) -> str:
    if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN):
        return VALUE_TYPE[ctx.kernel.by_name[red.value].dtype.compute]
    return VALUE_TYPE[red.dtype.compute]


def _acc_init(red: Reduce, t: str) -> str:
    if red.op is ReduceOp.ARGMAX:
        return f"npu_ext::lowest<{t}>()"
    if red.op is ReduceOp.ARGMIN:
        return f"npu_ext::highest<{t}>()"
    return REDUCE_INIT[red.op].format(t=t)


def _walk_body(p: Pass, ctx: _Ctx, lane: bool) -> list[str]:
    """Inner nodes plus the accumulator updates of one reduction point."""
    raxes = ctx.kernel.reduce_axes
    body = render_nodes(p.inside, ctx)
    flat = " + ".join(f"{ctx.index(a.symbol)} * {ctx.index(numel(raxes[i + 1:]))}"
                      for i, a in enumerate(raxes))
    suffix = "[l]" if lane else ""
    for red in p.reductions:
        acc = ctx.acc[red.name]
        body.append(REDUCE_UPDATE[red.op].format(acc=acc + suffix, acc_i=f"{acc}_i{suffix}",
                                                 v=ctx.ref(red.value), idx=f"({flat})"))
    return body


def render_pass(p: Pass, ctx: _Ctx) -> list[str]:
    """Row mode: outer nodes as scalars, then the walk over the reduction axes."""
    lines = render_nodes(p.before, ctx)
    if not (p.inside or p.reductions):
        return lines
    for red in p.reductions:
        acc = ctx.acc[red.name] = f"acc_{red.name}"
        t = _acc_type(red, ctx)
        lines.append(f"{t} {acc} = {_acc_init(red, t)};")
        if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN):
            lines.append(f"int64_t {acc}_i = -1;")
    simd = all(r.op in (ReduceOp.SUM, ReduceOp.PROD) for r in p.reductions)
    ops = {ReduceOp.SUM: "+", ReduceOp.PROD: "*"}
    clause = " ".join(f"reduction({ops[r.op]}:{ctx.acc[r.name]})" for r in p.reductions) if simd else ""
    body = _walk_body(p, ctx, lane=False)
    lines += _loops(ctx.kernel.reduce_axes, body, ctx, f"#pragma omp simd {clause}".rstrip() if simd else None)
    for red in p.reductions:
        index = "_i" if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN) else ""
        lines.append(f"const {VALUE_TYPE[red.dtype]} {red.name} = {ctx.acc[red.name]}{index};")
    return lines


def render_lane_pass(p: Pass, ctx: _Ctx, lane_axis, lanes: int) -> list[str]:
    """Lane mode (outer reductions): the contiguous outer axis is split into `lanes` wide blocks;
    outer values and accumulators are per-lane arrays, the lane loop is innermost (vectorised)."""
    set_lane = f"const int64_t {lane_axis.symbol} = lane_lo + l;"
    lines = [f"{VALUE_TYPE[n.dtype]} {n.name}[{lanes}];" for n in p.before if not isinstance(n, Store)]
    ctx.lane_values.update(n.name for n in p.before if not isinstance(n, Store))
    if p.before:
        lines += ["for (int64_t l = 0; l < n_lane; ++l) {", "    " + set_lane]
        lines += ["    " + line for line in render_nodes(p.before, ctx, lane=True)] + ["}"]
    if not (p.inside or p.reductions):
        return lines
    init = []
    for red in p.reductions:
        acc = ctx.acc[red.name] = f"acc_{red.name}"
        t = _acc_type(red, ctx)
        lines.append(f"{t} {acc}[{lanes}];")
        init.append(f"{acc}[l] = {_acc_init(red, t)};")
        if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN):
            lines.append(f"int64_t {acc}_i[{lanes}];")
            init.append(f"{acc}_i[l] = -1;")
    lines += ["for (int64_t l = 0; l < n_lane; ++l) {"] + ["    " + i for i in init] + ["}"]
    walk = ["#pragma omp simd", "for (int64_t l = 0; l < n_lane; ++l) {", "    " + set_lane]
    walk += ["    " + line for line in _walk_body(p, ctx, lane=True)] + ["}"]
    lines += _loops(ctx.kernel.reduce_axes, walk, ctx, None)
    for red in p.reductions:
        index = "_i" if red.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN) else ""
        lines.append(f"const auto* {red.name} = {ctx.acc[red.name]}{index};")
        ctx.lane_values.add(red.name)
    return lines


def _loops(axes, body: list[str], ctx: _Ctx, pragma: str | None) -> list[str]:
    """Nested for-loops over axes; the pragma goes on the innermost one."""
    lines = body
    for depth, axis in reversed(list(enumerate(axes))):
        head = f"for (int64_t {axis.symbol} = 0; {axis.symbol} < {ctx.index(axis.size)}; ++{axis.symbol}) {{"
        inner = ["    " + line for line in lines]
        lines = ([pragma] if pragma and depth == len(axes) - 1 else []) + [head] + inner + ["}"]
    return lines


def _decompose(outer, ctx: _Ctx, flat: str) -> list[str]:
    """Recover each outer axis index from the flattened row index."""
    lines = []
    for i, a in enumerate(outer):
        value = f"{flat} / {ctx.index(numel(outer[i + 1:]))}" if i + 1 < len(outer) else flat
        lines.append(f"const int64_t {a.symbol} = " + (f"({value}) % {ctx.index(a.size)};" if i else f"{value};"))
    return lines


def render_body(kernel: Kernel, plan: CpuPlan, ctx: _Ctx) -> list[str]:
    """The function body: a parallel loop over rows, or over (rows x blocks of the split axis)."""
    outer, split = plan.outer, plan.vector_axis
    lines = [f"const int64_t n_outer = {ctx.index(numel(outer))};"]
    parallel = f"#pragma omp parallel for schedule(static) if(({ctx.index(plan.work)}) >= {plan.grain})"
    if split is None:
        inner = [line for p in plan.passes for line in render_pass(p, ctx)]
        loop = ["for (int64_t xo = 0; xo < n_outer; ++xo) {"]
        loop += ["    " + d for d in _decompose(outer, ctx, "xo")] + ["    " + line for line in inner] + ["}"]
        return lines + [parallel] + loop
    block = plan.lanes or 4096
    size = ctx.index(split.size)
    lines.append(f"const int64_t n_block = ({size} + {block - 1}) / {block};")
    head = ["for (int64_t xb = 0; xb < n_outer * n_block; ++xb) {",
            "    const int64_t xo = xb / n_block;",
            f"    const int64_t lane_lo = (xb % n_block) * {block};",
            f"    const int64_t n_lane = std::min<int64_t>({block}, {size} - lane_lo);"]
    head += ["    " + d for d in _decompose(outer, ctx, "xo")]
    if plan.lanes:
        inner = [line for p in plan.passes for line in render_lane_pass(p, ctx, split, block)]
    else:
        inner = ["#pragma omp simd", f"for (int64_t {split.symbol} = lane_lo; {split.symbol} < lane_lo + n_lane; ++{split.symbol}) {{"]
        inner += ["    " + line for p in plan.passes for line in render_pass(p, ctx)] + ["}"]
    return lines + [parallel] + head + ["    " + line for line in inner] + ["}"]


def render_kernel(kernel: Kernel, plan: CpuPlan, entry: str = "kernel") -> KernelSource:
    """Render the C++ translation unit (the kernel; the build adds the binding) for one kernel."""
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
