"""Render an autofuse Kernel as AscendC source: the vector kernel (one class per planning mode,
count-form tile ops, TQue/TBuf buffers), the host tiling function and an `extern "C"` launcher,
in one translation unit for CANN `bisheng` (the ascendc-sim target compiles the very same text
against our CPU emulation). Imports autofuse and codegen.base, never torch.

Launcher ABI: `extern "C" int32_t launch_<kernel>(void* stream, uint8_t* buffers..., int64_t
sizes...)` computes (memoised per shape) the tiling and runs `<kernel><<<block_dim, nullptr,
stream>>>(buffers..., tiling)`; returns 0.
"""
from __future__ import annotations

import dataclasses

import sympy

from ..autofuse.ascendc_plan import AscendCCaps, AscendCPlan, plan_ascendc
from ..autofuse.ascendc_program import Mode, Ref, Step
from ..autofuse.ir import (COMPARISONS, Cast, Compute, Constant, DType, IndexValue, Kernel, Load,
                           Op, Reduce, ReduceOp, Store, store_key)
from ..autofuse.text import format_node
from ..autofuse.decomp import (apply_rewrites, reciprocal_as_div, rsqrt_as_div_sqrt,
                               sigmoid_as_exp)
from .base import ENV, IndexPrinter, KernelSource, OpTable, UnsupportedOp, format_float

TARGET = "ascendc"

# element type of a dtype in GM and UB
ELEM = {DType.F32: "float", DType.F16: "half", DType.BF16: "bfloat16_t", DType.F64: "double",
        DType.U8: "uint8_t"}
SUFFIX = {DType.F16: "f16", DType.BF16: "bf16", DType.U8: "u8"}

# Tile ops, count form. {dst} {a} {b} / {x} are tensors, {n} the element count.
ASCENDC_OPS: OpTable = {
    Op.ADD: "AscendC::Add({dst}, {a}, {b}, {n});",
    Op.SUB: "AscendC::Sub({dst}, {a}, {b}, {n});",
    Op.MUL: "AscendC::Mul({dst}, {a}, {b}, {n});",
    Op.TRUEDIV: "AscendC::Div({dst}, {a}, {b}, {n});",
    Op.MAXIMUM: "AscendC::Max({dst}, {a}, {b}, {n});",
    Op.MINIMUM: "AscendC::Min({dst}, {a}, {b}, {n});",
    Op.NEG: "AscendC::Muls({dst}, {x}, -1.0f, {n});",
    Op.ABS: "AscendC::Abs({dst}, {x}, {n});",
    Op.EXP: "AscendC::Exp({dst}, {x}, {n});",
    Op.LOG: "AscendC::Ln({dst}, {x}, {n});",
    Op.SQRT: "AscendC::Sqrt({dst}, {x}, {n});",
    Op.RELU: "AscendC::Relu({dst}, {x}, {n});",
    Op.SQUARE: "AscendC::Mul({dst}, {x}, {x}, {n});",
    # bit masks in uint8_t; {n} is the tile count rounded up to whole 256-byte repeats
    Op.EQ: "AscendC::Compare({dst}, {a}, {b}, AscendC::CMPMODE::EQ, {n});",
    Op.NE: "AscendC::Compare({dst}, {a}, {b}, AscendC::CMPMODE::NE, {n});",
    Op.LT: "AscendC::Compare({dst}, {a}, {b}, AscendC::CMPMODE::LT, {n});",
    Op.LE: "AscendC::Compare({dst}, {a}, {b}, AscendC::CMPMODE::LE, {n});",
    Op.GT: "AscendC::Compare({dst}, {a}, {b}, AscendC::CMPMODE::GT, {n});",
    Op.GE: "AscendC::Compare({dst}, {a}, {b}, AscendC::CMPMODE::GE, {n});",
    Op.WHERE: "AscendC::Select({dst}, {cond}, {a}, {b}, AscendC::SELMODE::VSEL_TENSOR_TENSOR_MODE, {n});",
}
# Tensor-scalar forms: {a} is the tile, {s} a C++ float. a - s is a + (-s), exactly.
ASCENDC_SCALAR_OPS: OpTable = {
    Op.ADD: "AscendC::Adds({dst}, {a}, {s}, {n});",
    Op.MUL: "AscendC::Muls({dst}, {a}, {s}, {n});",
    Op.MAXIMUM: "AscendC::Maxs({dst}, {a}, {s}, {n});",
    Op.MINIMUM: "AscendC::Mins({dst}, {a}, {s}, {n});",
    Op.SUB: "AscendC::Adds({dst}, {a}, -({s}), {n});",
    **{op: f"AscendC::CompareScalar({{dst}}, {{a}}, {{s}}, AscendC::CMPMODE::{op.name}, {{n}});"
       for op in (Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE)},
}
# s < a is a > s: the comparison a scalar-first operand pair turns into
FLIPPED = {Op.LT: Op.GT, Op.GT: Op.LT, Op.LE: Op.GE, Op.GE: Op.LE, Op.EQ: Op.EQ, Op.NE: Op.NE}
# s - a: negate, then add (both exact)
SCALAR_MINUS_TILE = "AscendC::Muls({dst}, {a}, -1.0f, {n});\nAscendC::Adds({dst}, {dst}, {s}, {n});"

# Ops with no AscendC form here (the kernel falls back), with the reason.
ASCENDC_UNSUPPORTED = {
    **{op: "no vector instruction on A2/A3" for op in (
        Op.ERF, Op.SIN, Op.COS, Op.TAN, Op.ASIN, Op.ACOS, Op.ATAN, Op.SINH, Op.COSH, Op.TANH,
        Op.ATAN2, Op.EXP2, Op.EXPM1, Op.LOG2, Op.LOG10, Op.LOG1P, Op.POW, Op.COPYSIGN)},
    **{op: "needs integer or rounding vector math not planned yet" for op in (
        Op.FLOORDIV, Op.TRUNCDIV, Op.FMOD, Op.REMAINDER, Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND,
        Op.SIGN, Op.ISNAN, Op.ISINF, Op.BITWISE_AND, Op.BITWISE_OR, Op.BITWISE_XOR,
        Op.BITWISE_NOT)},
    **{op: "mask logic on Compare bit masks is not planned yet" for op in (
        Op.LOGICAL_AND, Op.LOGICAL_OR, Op.LOGICAL_XOR, Op.LOGICAL_NOT)},
}
REDUCE_INIT = {ReduceOp.SUM: "0.0f", ReduceOp.MAX: "-__builtin_inff()", ReduceOp.MIN: "__builtin_inff()"}
REDUCE_STEP = {ReduceOp.SUM: "Add", ReduceOp.MAX: "Max", ReduceOp.MIN: "Min"}
REDUCE_ROW = {ReduceOp.SUM: "AscendC::ReduceSum({dst}, {src}, work, {n});",
              ReduceOp.MAX: "AscendC::ReduceMax({dst}, {src}, work, {n}, false);",
              ReduceOp.MIN: "AscendC::ReduceMin({dst}, {src}, work, {n}, false);"}
# Lowered before planning: Rsqrt and Reciprocal miss the documented 1e-4 fp32 relative-error bound
# (reference/ascendc_api.md 4.2), so they become Sqrt + Div and Div; Sigmoid becomes Muls/Exp/Adds/Div.
ASCENDC_REWRITES = [rsqrt_as_div_sqrt, reciprocal_as_div, sigmoid_as_exp]
COUNTS = {"n": "n", "1": "1", "tl": "tl", "red": "(L < tl ? L : tl)", "n64": "(n + 63) / 64 * 64"}
FLOATS = (DType.F32, DType.F16, DType.BF16)


# ------------------------------------------------------------------------------- support check
def check_supported(kernel: Kernel) -> None:
    """Raise UnsupportedOp (target 'ascendc') for any op, dtype or cast this renderer cannot emit."""
    for node in kernel.nodes:
        line = format_node(node)
        dtype = node.dtype
        if isinstance(node, Load) and (node.mask or dtype not in (*FLOATS, DType.F64)):
            raise UnsupportedOp(TARGET, "masked load" if node.mask else "load", dtype, line)
        if isinstance(node, Store) and kernel.buffer_map[node.buffer].dtype not in FLOATS:
            raise UnsupportedOp(TARGET, "store", kernel.buffer_map[node.buffer].dtype, line)
        if isinstance(node, (Constant, IndexValue)) and dtype not in FLOATS:
            raise UnsupportedOp(TARGET, "index_expr" if isinstance(node, IndexValue) else "constant",
                                dtype, line)
        if isinstance(node, Compute):
            values = node.args[1:] if node.op is Op.WHERE else node.args
            operand_dtypes = {kernel.by_name[a].dtype for a in values}
            if node.op not in ASCENDC_OPS:
                raise UnsupportedOp(TARGET, node.op, dtype, line)
            result_ok = dtype in FLOATS or (dtype is DType.BOOL and node.op in COMPARISONS)
            cond_ok = node.op is not Op.WHERE or kernel.by_name[node.args[0]].dtype is DType.BOOL
            if not (result_ok and cond_ok and operand_dtypes <= set(FLOATS)):
                raise UnsupportedOp(TARGET, node.op, dtype, line)
        if isinstance(node, Cast):
            src = kernel.by_name[node.value].dtype
            ok = (dtype is DType.F32 and src in (*FLOATS, DType.F64)) or (dtype in FLOATS and src in FLOATS)
            if not ok:
                raise UnsupportedOp(TARGET, "cast", f"{src.value}->{dtype.value}", line)
        if isinstance(node, Reduce) and (node.op not in REDUCE_ROW or dtype not in FLOATS):
            raise UnsupportedOp(TARGET, f"reduce_{node.op.value}", dtype, line)


# ------------------------------------------------------------------------------- step printer
@dataclasses.dataclass
class _Ctx:
    """Explicit rendering context of one mode: the plan, the mode and index printers."""
    plan: AscendCPlan
    mode: Mode
    index: IndexPrinter
    nodes: dict[str, object]
    tile: sympy.Symbol
    t0: sympy.Symbol = sympy.Symbol("t0")
    open_outs: set = dataclasses.field(default_factory=set)

    def gm(self, node, hoisted: bool = False) -> str:
        """`gm_<buffer>[offset]`; a vector access starts at the tile start t0 (0 when hoisted)."""
        index = node.index.subs(self.tile, 0 if hoisted else self.t0)
        return f"gm_{node.buffer}[{self.index(index)}]"


def tensor(ref: Ref) -> str:
    """C++ name of a UB tensor reference (pool buffer, queue slot, scalar slot)."""
    narrow = f"_{SUFFIX[ref.dtype]}" if ref.dtype in SUFFIX and ref.kind in ("pool", "slot") else ""
    if ref.kind == "pool":
        return f"p{ref.index}{narrow}"
    if ref.kind == "slot":
        return f"c{ref.index}{narrow}"
    if ref.kind == "bank":                 # this inner row's tile of accumulator bank `index`
        return f"bank[({ref.index} * inner + irow) * tl]" if ref.index else "bank[irow * tl]"
    base = f"{ref.kind}{ref.index}"
    return base if ref.pos == 0 else f"{base}[{ref.pos} * tl]"


def scalar(ref: Ref, ctx: _Ctx) -> str:
    """C++ float expression of a scalar reference (C++ variable or literal)."""
    if ref.kind == "literal":
        return format_float(float(ctx.nodes[ref.name].value), inf="__builtin_inff()",
                            nan='__builtin_nanf("")')
    return f"s_{ref.name}"


def render_op(step: Step, ctx: _Ctx) -> list[str]:
    node = ctx.nodes[step.node]
    n = COUNTS[step.count]
    tensors = [a.kind not in ("expr", "literal") for a in step.args]
    if all(tensors):
        keys = {1: ("x",), 2: ("a", "b"), 3: ("cond", "a", "b")}[len(step.args)]
        return [ASCENDC_OPS[node.op].format(dst=tensor(step.dst), n=n,
                                             **dict(zip(keys, map(tensor, step.args))))]
    t, s = (0, 1) if tensors[0] else (1, 0)
    fields = dict(dst=tensor(step.dst), a=tensor(step.args[t]), s=scalar(step.args[s], ctx), n=n)
    if node.op is Op.SUB and s == 0:
        return SCALAR_MINUS_TILE.format(**fields).splitlines()
    op = FLIPPED[node.op] if s == 0 and node.op in FLIPPED else node.op
    return [ASCENDC_SCALAR_OPS[op].format(**fields)]


def render_copy_in(step: Step, ctx: _Ctx) -> list[str]:
    group = ctx.mode.groups[step.group]
    queue = ctx.mode.queues[group.queue]
    elem, name = ELEM[queue.dtype], f"in{step.group}"
    count = "L" if group.hoisted else "n"
    lines = [f"AscendC::LocalTensor<{elem}> {name} = que{group.queue}_.AllocTensor<{elem}>();"]
    for pos, member in enumerate(group.members):
        view = tensor(Ref("in", step.group, pos))
        lines.append(f"NpuExtCopyIn({view}, {ctx.gm(ctx.nodes[member], group.hoisted)}, {count});")
    lines += [f"que{group.queue}_.EnQue({name});", f"{name} = que{group.queue}_.DeQue<{elem}>();"]
    for pos, target in enumerate(group.targets):
        if target.kind == "pool":
            lines.append(f"AscendC::Cast({tensor(target)}, {tensor(Ref('in', step.group, pos))}, "
                         f"AscendC::RoundMode::CAST_NONE, {count});")
    return lines


def render_store(step: Step, ctx: _Ctx) -> list[str]:
    group = ctx.mode.groups[step.dst.index]
    elem = ELEM[step.dst.dtype]
    lines = []
    if step.dst.index not in ctx.open_outs:
        ctx.open_outs.add(step.dst.index)
        lines.append(f"AscendC::LocalTensor<{elem}> out{step.dst.index} = "
                     f"que{group.queue}_.AllocTensor<{elem}>();")
    return lines + [_convert(tensor(step.dst), tensor(step.args[0]), step.dst.dtype, "n")]


def _convert(dst: str, src: str, dtype: DType, n: str) -> str:
    """Write an fp32 tile into a tensor of `dtype` (fp32: an exact copy through Muls by 1)."""
    if dtype is DType.F32:
        return f"AscendC::Muls({dst}, {src}, 1.0f, {n});"
    return f"AscendC::Cast({dst}, {src}, AscendC::RoundMode::CAST_RINT, {n});"


def render_copy_out(step: Step, ctx: _Ctx) -> list[str]:
    group = ctx.mode.groups[step.group]
    queue, name = f"que{group.queue}_", f"out{step.group}"
    elem = ELEM[ctx.mode.queues[group.queue].dtype]
    ctx.open_outs.discard(step.group)
    lines = [f"{queue}.EnQue({name});", f"{name} = {queue}.DeQue<{elem}>();"]
    for pos, member in enumerate(group.members):
        lines.append(f"NpuExtCopyOut({ctx.gm(ctx.nodes[member])}, {tensor(Ref('out', step.group, pos))}, n);")
    return lines + [f"{queue}.FreeTensor({name});"]


def render_store_scalar(step: Step, ctx: _Ctx) -> list[str]:
    node = ctx.nodes[step.node]
    dtype = ctx.plan.kernel.buffer_map[node.buffer].dtype
    elem, queue = ELEM[dtype], f"que{step.group}_"
    return ["{", f"    AscendC::LocalTensor<{elem}> o = {queue}.AllocTensor<{elem}>();",
            "    " + _convert("o", tensor(step.args[0]), dtype, "1"),
            f"    {queue}.EnQue(o);", f"    o = {queue}.DeQue<{elem}>();",
            f"    NpuExtCopyOut({ctx.gm(node)}, o, 1);", f"    {queue}.FreeTensor(o);", "}"]


def render_scalar_load(step: Step, ctx: _Ctx) -> list[str]:
    node = ctx.nodes[step.node]
    value = f"gm_{node.buffer}.GetValue({ctx.index(node.index)})"
    if step.dst.kind == "expr":
        return [f"const {ELEM[node.dtype]} s_{node.name} = {value};"]
    return [f"AscendC::Duplicate({tensor(step.temps[0])}, {value}, 1);",
            f"AscendC::Cast({tensor(step.dst)}, {tensor(step.temps[0])}, AscendC::RoundMode::CAST_NONE, 1);"]


def render_step(step: Step, ctx: _Ctx) -> list[str]:
    """The C++ lines of one step (loops open here and close at their `end` step)."""
    kind, n = step.kind, COUNTS[step.count]
    red = ctx.nodes.get(step.node)
    t, arg = tensor, lambda i: scalar(step.args[i], ctx)
    rint, none = "AscendC::RoundMode::CAST_RINT", "AscendC::RoundMode::CAST_NONE"
    simple = {
        "free_in": lambda: [f"que{ctx.mode.groups[step.group].queue}_.FreeTensor(in{step.group});"],
        "index": lambda: [f"const float s_{step.node} = "
                          f"static_cast<float>({ctx.index(ctx.nodes[step.node].expr)});"],
        "cast_expr": lambda: [f"const float s_{step.node} = static_cast<float>({arg(0)});"],
        "to_slot": lambda: [f"AscendC::Duplicate({t(step.dst)}, {arg(0)}, 1);"],
        "to_expr": lambda: [f"const float s_{step.node} = {t(step.args[0])}.GetValue(0);"],
        "broadcast": lambda: [f"AscendC::Duplicate({t(step.dst)}, {arg(0)}, {n});"],
        "round": lambda: [f"AscendC::Cast({t(step.temps[0])}, {t(step.args[0])}, {rint}, {n});",
                          f"AscendC::Cast({t(step.dst)}, {t(step.temps[0])}, {none}, {n});"],
        "acc_init": lambda: [f"AscendC::Duplicate({t(step.dst)}, {REDUCE_INIT[red.op]}, {n});"],
        "acc_add": lambda: [f"AscendC::{REDUCE_STEP[red.op]}({t(step.dst)}, {t(step.args[0])}, "
                            f"{t(step.args[1])}, {n});"],
        "reduce": lambda: [REDUCE_ROW[red.op].format(dst=t(step.dst), src=t(step.args[0]), n=n)],
    }
    if kind in simple:
        return simple[kind]()
    printers = {"op": render_op, "copy_in": render_copy_in, "store": render_store,
                "copy_out": render_copy_out, "store_scalar": render_store_scalar,
                "scalar_load": render_scalar_load}
    return printers[kind](step, ctx)


def render_steps(steps, ctx: _Ctx, indent: int = 0) -> list[str]:
    """Print a step list; `tiles`/`axes` open loops that the matching `end` closes."""
    lines, stack = [], []
    for step in steps:
        pad = "    " * (indent + len(stack))
        if step.kind == "tiles":
            lines += [pad + "for (int64_t tile = 0; tile < t_.tiles; ++tile) {",
                      pad + "    const int64_t t0 = tile * tl;",
                      pad + "    const int64_t n = L - t0 < tl ? L - t0 : tl;"]
            stack.append(1)
        elif step.kind in ("axes", "rows"):
            loops = ctx.plan.layout.loops if step.kind == "axes" else ctx.plan.layout.inner
            for depth, axis in enumerate(loops):
                lines.append(pad + "    " * depth + f"for (int64_t {axis.symbol} = 0; {axis.symbol} < "
                             f"{ctx.index(axis.size)}; ++{axis.symbol}) {{")
            if step.kind == "rows" and ctx.mode.banks:
                flat = sum((a.symbol * sympy.Mul(*[b.size for b in loops[i + 1:]])
                            for i, a in enumerate(loops)), sympy.Integer(0))
                lines.append(pad + "    " * len(loops) + f"const int64_t irow = {ctx.index(flat)};")
            stack.append(len(loops))
        elif step.kind == "end":
            for depth in reversed(range(stack.pop())):
                lines.append("    " * (indent + len(stack) + depth) + "}")
        else:
            lines += [pad + line for line in render_step(step, ctx)]
    return lines


# ------------------------------------------------------------------------------- mode classes
def _decompose(plan: AscendCPlan, index: IndexPrinter) -> list[str]:
    """Per unit: the row (and, for tiled kinds, the tile), then each row axis value."""
    if plan.layout.kind == "inner":
        lines = ["const int64_t row = u;"]
    else:
        lines = ["const int64_t row = u / t_.tiles;", "const int64_t t0 = (u % t_.tiles) * tl;",
                 "const int64_t n = L - t0 < tl ? L - t0 : tl;"]
    axes = plan.layout.rows
    for i, axis in enumerate(axes):
        stride = sympy.Mul(*[a.size for a in axes[i + 1:]])
        value = "row" if stride == 1 else f"(row / {index(stride)})"
        if i > 0:
            value = f"{value} % {index(axis.size)}"
        lines.append(f"const int64_t {axis.symbol} = {value};")
    return lines


def _views(mode: Mode, steps) -> list[str]:
    """Declarations of the pool buffers and scalar slots the steps use."""
    refs = {r for s in steps for r in (*([s.dst] if s.dst else []), *s.args, *s.temps)}
    refs |= {t for g in mode.groups for t in g.targets}
    lines = [f"AscendC::LocalTensor<float> p{k} = pool[{k} * tl];" for k in range(mode.pool)]
    for ref in sorted((r for r in refs if r.kind in ("pool", "slot") and r.dtype in SUFFIX),
                      key=lambda r: (r.kind, r.index, r.dtype.value)):
        per_float = 4 // ref.dtype.itemsize                # narrow elements per fp32 element
        base, scale = (("pool_", f"{ref.index * per_float} * tl") if ref.kind == "pool"
                       else ("scal_", str(ref.index * 8 * per_float)))
        lines.append(f"AscendC::LocalTensor<{ELEM[ref.dtype]}> {tensor(ref)} = "
                     f"{base}.Get<{ELEM[ref.dtype]}>()[{scale}];")
    lines += [f"AscendC::LocalTensor<float> c{k} = sc[{k * 8}];" for k in range(mode.slots)
              if any(r.kind == "slot" and r.index == k and r.dtype is DType.F32 for r in refs)]
    return lines


def render_mode(plan: AscendCPlan, mode: Mode, index: IndexPrinter) -> dict:
    """Template data of one mode class: buffer members, Init lines and Process body lines."""
    kernel = plan.kernel
    nodes = {store_key(i, n): n for i, n in enumerate(kernel.nodes)}
    nodes.update(kernel.by_name)
    ctx = _Ctx(plan, mode, index, nodes, plan.layout.tile.symbol)
    steps = (*mode.prologue, *mode.body, *mode.epilogue)
    members = [f"AscendC::TQue<AscendC::TPosition::{q.position}, 1> que{i}_;"
               for i, q in enumerate(mode.queues)]
    init = []
    for i, q in enumerate(mode.queues):
        size = f"{32 * q.slots}" if q.scalar else f"{q.slots} * tl * sizeof({ELEM[q.dtype]})"
        init.append(f"pipe->InitBuffer(que{i}_, {q.buffers}, {size});")
    tbufs = [("pool_", mode.pool > 0, f"{mode.pool} * tl * sizeof(float)"),
             ("scal_", mode.slots > 0, f"{32 * mode.slots}"), ("work_", mode.work, "tl + 32"),
             ("bank_", mode.banks > 0, f"{mode.banks} * t.inner * tl * sizeof(float)")]
    for name, used, size in tbufs:
        if used:
            members.append(f"AscendC::TBuf<AscendC::TPosition::VECCALC> {name};")
            init.append(f"pipe->InitBuffer({name}, {size});")
    locals_ = [line for name, used, line in (
        ("pool", mode.pool > 0, "AscendC::LocalTensor<float> pool = pool_.Get<float>();"),
        ("sc", mode.slots > 0, "AscendC::LocalTensor<float> sc = scal_.Get<float>();"),
        ("work", mode.work, "AscendC::LocalTensor<float> work = work_.Get<float>();"),
        ("bank", mode.banks > 0, "AscendC::LocalTensor<float> bank = bank_.Get<float>();"),
        ("inner", mode.banks > 1, "const int64_t inner = t_.inner;")) if used]
    locals_ += _views(mode, steps)
    if mode.name == "resident":
        locals_ += ["const int64_t t0 = 0;", "const int64_t n = L;"]
    return {"cls": f"{kernel.name}_{mode.name}", "members": members, "init": init,
            "locals": locals_, "prologue": render_steps(mode.prologue, ctx),
            "decompose": _decompose(plan, index), "body": render_steps(mode.body, ctx),
            "epilogue": render_steps(mode.epilogue, ctx)}


# ------------------------------------------------------------------------------- whole unit
def render_plan(plan: AscendCPlan, target: str = TARGET) -> KernelSource:
    """Render the translation unit (kernel, host tiling, launcher) of a planned kernel."""
    kernel = plan.kernel
    names = {s: s.name for s in kernel.sizes}
    index = IndexPrinter(names)
    host = IndexPrinter(names, max_fn="npu_ext_max", min_fn="npu_ext_min")   # int64 helpers of the host code
    buffers = [b.name for b in kernel.buffers]
    sizes = [s.name for s in kernel.sizes]
    tiling_type = f"{kernel.name}_tiling"
    modes = [render_mode(plan, mode, index) for mode in plan.modes]
    dispatch = _dispatch(modes, buffers)
    common = dict(kernel_name=kernel.name, tiling_type=tiling_type)
    kernel_text = ENV.get_template("ascendc/kernel.cpp.j2").render(
        **common, sizes=sizes, origin=kernel.origin.splitlines(), fields=[f for f, _ in plan.tiling],
        gm=[(b.name, ELEM[b.dtype]) for b in kernel.buffers], modes=modes, dispatch=dispatch,
        params=[f"GM_ADDR {b}_ptr" for b in buffers])
    size_args = ", ".join(sizes)
    tiling_text = ENV.get_template("ascendc/tiling.cpp.j2").render(
        **common, sizes=sizes, fields=[(f, host(e)) for f, e in plan.tiling], size_args=size_args,
        size_params=", ".join(f"int64_t {s}" for s in sizes))
    entry = f"launch_{kernel.name}"
    launcher_text = ENV.get_template("ascendc/launcher.cpp.j2").render(
        **common, entry=entry, size_args=size_args, buffer_args=", ".join(f"{b}_ptr" for b in buffers),
        ub_budget=plan.caps.ub_budget,
        launch_params=", ".join(["void* stream", *(f"uint8_t* {b}_ptr" for b in buffers),
                                 *(f"int64_t {s}" for s in sizes)]))
    arg_types = ("uint8_t*",) * len(buffers) + ("int64_t",) * len(sizes)
    return KernelSource(target, kernel.name, kernel_text + tiling_text + launcher_text, entry,
                        tuple(buffers + sizes), arg_types)


def _dispatch(modes: list[dict], buffers: list[str]) -> list[str]:
    call = ", ".join(f"{b}_ptr" for b in buffers)
    if len(modes) == 1:
        return [f"{modes[0]['cls']} op;", f"op.Init({call}, t, &pipe);", "op.Process();"]
    lines = []
    for i, mode in enumerate(modes):
        lines += [f"{'if' if i == 0 else '} else if'} (t.mode == {i}) {{",
                  f"    {mode['cls']} op;", f"    op.Init({call}, t, &pipe);", "    op.Process();"]
    return lines + ["}"]


def render_kernel(kernel: Kernel, caps: AscendCCaps = AscendCCaps(), target: str = TARGET) -> KernelSource:
    """Rewrite, check, plan and render one kernel (raises UnsupportedOp or PlanError)."""
    kernel = apply_rewrites(kernel, ASCENDC_REWRITES)
    check_supported(kernel)
    return render_plan(plan_ascendc(kernel, caps), target)
