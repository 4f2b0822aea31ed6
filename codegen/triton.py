"""Render an autofuse Kernel + TritonPlan as a Triton module: `@triton.jit` kernels (pointwise over
one flattened XBLOCK index; reductions over [XBLOCK, RBLOCK] tiles, persistent when the row fits,
looped otherwise) and a `call` launcher that sizes the grid from the run-time sizes.

Imports autofuse and codegen.base, never torch (nor triton: the text is only executed by the glue).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy

from ..autofuse.ir import (Cast, Compute, Constant, DType, IndexValue, Kernel, Load, Node, Op,
                           Reduce, ReduceOp, Store)
from ..autofuse.plan import Pass, numel, schedule_passes
from .base import ENV, IndexPrinter, KernelSource, OpTable, UnsupportedOp, apply_rule, float_or_int

TARGET = "triton"

# Triton type of a value in registers (fp16/bf16 live in fp32) and of a buffer element in memory.
VALUE_TYPE = {DType.F64: "tl.float64", DType.F32: "tl.float32", DType.F16: "tl.float32",
              DType.BF16: "tl.float32", DType.I64: "tl.int64", DType.I32: "tl.int32",
              DType.I16: "tl.int16", DType.I8: "tl.int8", DType.U8: "tl.uint8", DType.BOOL: "tl.int1"}
MEMORY_TYPE = {**VALUE_TYPE, DType.F16: "tl.float16", DType.BF16: "tl.bfloat16"}
# Triton signature of a kernel argument (reported as KernelSource.arg_types)
SIGNATURE = {DType.F64: "*fp64", DType.F32: "*fp32", DType.F16: "*fp16", DType.BF16: "*bf16",
             DType.I64: "*i64", DType.I32: "*i32", DType.I16: "*i16", DType.I8: "*i8",
             DType.U8: "*u8", DType.BOOL: "*i1"}
INT_BITS = {DType.I64: 64, DType.I32: 32, DType.I16: 16, DType.I8: 8}


def _float_only(form: str, op: Op):
    def rule(a: str, b: str, dtype: DType) -> str:
        if not dtype.is_float:
            raise UnsupportedOp(TARGET, op, dtype)
        return form.format(a=a, b=b)
    return rule


# Core `tl.*` builtins where Triton has them, libdevice otherwise; the _helpers are @triton.jit
# functions of the template prelude. No @triton.jit function of triton.language (tl.sum,
# tl.sigmoid, tl.zeros, ...) is used: those only run under the interpreter when TRITON_INTERPRET=1
# was set before triton was imported, while ours are decorated when the module is loaded.
TRITON_OPS: OpTable = {
    Op.ADD: "({a} + {b})",
    Op.SUB: "({a} - {b})",
    Op.MUL: "({a} * {b})",
    Op.TRUEDIV: "({a} / {b})",
    Op.FLOORDIV: float_or_int("_floordiv_float({a}, {b})", "_floordiv({a}, {b})"),
    Op.TRUNCDIV: float_or_int("_trunc({a} / {b})", "({a} // {b})"),  # integer // truncates, like C
    Op.FMOD: "({a} % {b})",                  # Triton's % is C fmod for floats and integers
    Op.REMAINDER: "_remainder({a}, {b})",
    Op.POW: _float_only("libdevice.pow({a}, {b})", Op.POW),
    Op.MAXIMUM: "tl.maximum({a}, {b}, propagate_nan=tl.PropagateNan.ALL)",
    Op.MINIMUM: "tl.minimum({a}, {b}, propagate_nan=tl.PropagateNan.ALL)",
    Op.ATAN2: "libdevice.atan2({a}, {b})",
    Op.COPYSIGN: "libdevice.copysign({a}, {b})",
    Op.NEG: "(-{x})",
    Op.ABS: "tl.abs({x})",
    Op.EXP: "tl.exp({x})",
    Op.EXP2: "tl.exp2({x})",
    Op.EXPM1: "libdevice.expm1({x})",
    Op.LOG: "tl.log({x})",
    Op.LOG2: "tl.log2({x})",
    Op.LOG10: "libdevice.log10({x})",
    Op.LOG1P: "libdevice.log1p({x})",
    Op.SQRT: "tl.sqrt_rn({x})",             # tl.sqrt is the approximate one
    Op.RSQRT: "tl.rsqrt({x})",
    Op.RECIPROCAL: "(1 / {x})",
    Op.SIGMOID: "(1 / (1 + tl.exp(-{x})))",
    Op.TANH: "libdevice.tanh({x})",
    Op.ERF: "tl.erf({x})",
    Op.SIN: "tl.sin({x})",
    Op.COS: "tl.cos({x})",
    Op.TAN: "libdevice.tan({x})",
    Op.ASIN: "libdevice.asin({x})",
    Op.ACOS: "libdevice.acos({x})",
    Op.ATAN: "libdevice.atan({x})",
    Op.SINH: "libdevice.sinh({x})",
    Op.COSH: "libdevice.cosh({x})",
    Op.FLOOR: "tl.floor({x})",
    Op.CEIL: "tl.ceil({x})",
    Op.TRUNC: "_trunc({x})",
    Op.ROUND: "libdevice.nearbyint({x})",   # rounds half to even, like torch.round
    Op.SIGN: "_sign({x})",
    Op.RELU: "tl.where({x} < 0, 0, {x})",   # keeps NaN, like torch.relu
    Op.ISNAN: "({x} != {x})",
    Op.ISINF: "(tl.abs({x}) == float(\"inf\"))",
    Op.SQUARE: "({x} * {x})",
    Op.EQ: "({a} == {b})",
    Op.NE: "({a} != {b})",
    Op.LT: "({a} < {b})",
    Op.LE: "({a} <= {b})",
    Op.GT: "({a} > {b})",
    Op.GE: "({a} >= {b})",
    Op.LOGICAL_AND: "(({a} != 0) & ({b} != 0))",
    Op.LOGICAL_OR: "(({a} != 0) | ({b} != 0))",
    Op.LOGICAL_XOR: "(({a} != 0) ^ ({b} != 0))",
    Op.LOGICAL_NOT: "({x} == 0)",
    Op.BITWISE_AND: "({a} & {b})",
    Op.BITWISE_OR: "({a} | {b})",
    Op.BITWISE_XOR: "({a} ^ {b})",
    Op.BITWISE_NOT: lambda x, dtype: f"({x} == 0)" if dtype is DType.BOOL else f"(~{x})",
    Op.WHERE: "tl.where({cond}, {a}, {b})",
}

# Reductions: the accumulator update inside a looped walk and the final fold along the tile's
# reduction dimension (axis 1). Max/min propagate NaN (torch semantics) through the helpers; sums
# fold with `_add`, tl.sum's own combine function, which the interpreter reduces with numpy (it
# walks element by element for the others: keep interpreter tests of max/min/prod small).
REDUCE_UPDATE = {ReduceOp.SUM: "{acc} + {v}", ReduceOp.PROD: "{acc} * {v}",
                 ReduceOp.MAX: "_max_nan({acc}, {v})", ReduceOp.MIN: "_min_nan({acc}, {v})",
                 ReduceOp.ANY: "{acc} | {v}"}
REDUCE_FOLD = {ReduceOp.SUM: "tl.reduce({acc}, 1, _add)", ReduceOp.PROD: "tl.reduce({acc}, 1, _prod)",
               ReduceOp.MAX: "tl.reduce({acc}, 1, _max_nan)",
               ReduceOp.MIN: "tl.reduce({acc}, 1, _min_nan)",
               ReduceOp.ANY: "(tl.reduce({acc}.to(tl.int32), 1, _add) != 0)"}


# ------------------------------------------------------------------------------------------ plan
@dataclass(frozen=True)
class TritonCaps:
    """What the Triton target declares; block sizes are picked at run time within these bounds."""
    max_xblock: int = 1024               # outer elements per program
    tile: int = 4096                     # elements per program (XBLOCK * RBLOCK)
    max_persistent_rblock: int = 4096    # rows up to this length are reduced in registers, one pass
    loop_rblock: int = 1024              # RBLOCK of the looped form (longer rows)
    max_warps: int = 8


@dataclass(frozen=True)
class TritonPlan:
    """`variants`: the kernels emitted, in the launcher's order of preference (pointwise, or
    persistent and/or looped); `index_dtype`: tl.int32 when every index of a static kernel fits."""
    passes: tuple[Pass, ...]
    xnumel: sympy.Expr
    rnumel: sympy.Expr
    variants: tuple[str, ...]
    index_dtype: str
    caps: TritonCaps = field(default_factory=TritonCaps)


def next_pow2(n: int) -> int:
    return 1 << max(int(n) - 1, 0).bit_length()


def plan_triton(kernel: Kernel, caps: TritonCaps = TritonCaps()) -> TritonPlan:
    """Plan a kernel for Triton: passes, numels, which kernel variants to emit, index width."""
    xnumel, rnumel = numel(kernel.axes), numel(kernel.reduce_axes)
    if not kernel.reduce_axes:
        variants: tuple[str, ...] = ("pointwise",)
    elif rnumel.is_Integer:
        fits = next_pow2(int(rnumel)) <= caps.max_persistent_rblock
        variants = ("persistent",) if fits else ("looped",)
    else:
        variants = ("persistent", "looped")
    return TritonPlan(schedule_passes(kernel), xnumel, rnumel, variants,
                      _index_dtype(kernel, xnumel, caps), caps)


def _index_dtype(kernel: Kernel, xnumel: sympy.Expr, caps: TritonCaps) -> str:
    """int32 only when sizes are static and the largest index (axes at their last value) fits."""
    if kernel.sizes or not xnumel.is_Integer:
        return "tl.int64"
    last = {a.symbol: a.size - 1 for a in (*kernel.axes, *kernel.reduce_axes)}
    exprs = [n.index for n in kernel.nodes if isinstance(n, (Load, Store))]
    exprs += [n.expr for n in kernel.nodes if isinstance(n, IndexValue)]
    bounds = [int(xnumel) + caps.max_xblock]
    for expr in exprs:
        value = sympy.sympify(expr).subs(last)
        if not value.is_Integer:
            return "tl.int64"
        bounds.append(abs(int(value)))
    return "tl.int32" if max(bounds) < 2 ** 31 else "tl.int64"


# ------------------------------------------------------------------------------------ rendering
@dataclass
class _Ctx:
    """Explicit rendering context: kernel, plan, index printer, the tile dimensions of every value
    ("x" and/or "r") and the loads already emitted per scope (reused instead of reloaded)."""
    kernel: Kernel
    plan: TritonPlan
    index: IndexPrinter
    dims: dict[str, frozenset] = field(default_factory=dict)
    loads: list[dict] = field(default_factory=lambda: [{}])

    @property
    def reduction(self) -> bool:
        return bool(self.kernel.reduce_axes)

    def index_dims(self, expr: sympy.Expr) -> frozenset:
        symbols = sympy.sympify(expr).free_symbols
        return frozenset({"x"} if symbols & set(self.kernel.axis_symbols) else set()) | \
            frozenset({"r"} if symbols & set(self.kernel.reduce_symbols) else set())

    def shape(self, dims: frozenset) -> str:
        if not self.reduction:
            return "[XBLOCK]"
        return f"[{'XBLOCK' if 'x' in dims else 1}, {'RBLOCK' if 'r' in dims else 1}]"

    def mask(self, dims: frozenset) -> str | None:
        return " & ".join(m for d, m in (("x", "xmask"), ("r", "rmask")) if d in dims) or None


def infer_dims(kernel: Kernel, ctx: _Ctx) -> dict[str, frozenset]:
    """Which tile dimensions each value varies along (a reduction result varies along x only)."""
    dims: dict[str, frozenset] = {}
    for node in kernel.nodes:
        if isinstance(node, Load):
            dims[node.name] = ctx.index_dims(node.index) | dims.get(node.mask, frozenset())
        elif isinstance(node, IndexValue):
            dims[node.name] = ctx.index_dims(node.expr)
        elif isinstance(node, Reduce):
            dims[node.name] = frozenset({"x"})
        elif not isinstance(node, Store):
            dims[node.name] = frozenset().union(*(dims[o] for o in node.operands))
    return dims


def literal(value, dtype: DType) -> str:
    """A Python literal Triton reads as `dtype` (inside tl.full)."""
    if dtype is DType.BOOL:
        return "True" if value else "False"
    if dtype.is_float:
        v = float(value)
        if math.isnan(v):
            return 'float("nan")'
        if math.isinf(v):
            return 'float("inf")' if v > 0 else 'float("-inf")'
        return repr(v)
    return str(int(value))


def _pointer(buffer: str, index: sympy.Expr, dims: frozenset, ctx: _Ctx) -> str:
    """`buffer + offset`, the offset broadcast to `dims` when the index varies along fewer (the
    index printer parenthesises every compound expression)."""
    offset = ctx.index(index)
    if ctx.index_dims(index) != dims:
        offset = f"{offset} + tl.full({ctx.shape(dims)}, 0, {ctx.plan.index_dtype})"
    return f"{buffer} + {offset}"


def render_load(node: Load, ctx: _Ctx) -> str:
    dims = ctx.dims[node.name]
    masks = [m for m in (ctx.mask(dims), node.mask) if m]
    other = literal(node.other if node.mask else 0, node.dtype)
    extra = f", mask={' & '.join(masks)}, other={other}" if masks else ""
    text = f"tl.load({_pointer(node.buffer, node.index, dims, ctx)}{extra})"
    if MEMORY_TYPE[node.dtype] != VALUE_TYPE[node.dtype]:
        text += f".to({VALUE_TYPE[node.dtype]})"
    return text


def narrow(value: str, dtype: DType) -> str:
    """Convert a register value to the memory type of `dtype` (bf16 through a prelude helper, see
    the template)."""
    return f"_to_bf16({value})" if dtype is DType.BF16 else f"{value}.to({MEMORY_TYPE[dtype]})"


def render_store(node: Store, ctx: _Ctx) -> str:
    dtype = ctx.kernel.buffer_map[node.buffer].dtype
    dims = ctx.index_dims(node.index) | ctx.dims[node.value]
    value = node.value
    if VALUE_TYPE[ctx.kernel.by_name[node.value].dtype] != MEMORY_TYPE[dtype]:
        value = narrow(value, dtype)
    mask = ctx.mask(dims)
    return f"tl.store({_pointer(node.buffer, node.index, dims, ctx)}, {value}" + \
        (f", mask={mask})" if mask else ")")


def render_cast(value: str, src: DType, dst: DType) -> str:
    if dst is DType.BOOL:
        return f"({value} != 0)"
    if dst.is_low_precision:     # a rounding point; the value stays in fp32
        return f"{narrow(value, dst)}.to(tl.float32)"
    if VALUE_TYPE[src] == VALUE_TYPE[dst]:
        return value
    return f"{value}.to({VALUE_TYPE[dst]})"


def render_value(node: Node, ctx: _Ctx) -> str:
    """The Triton expression computing one non-store, non-reduce node."""
    k = ctx.kernel
    if isinstance(node, Load):
        return render_load(node, ctx)
    if isinstance(node, Constant):
        return f"tl.full([], {literal(node.value, node.dtype)}, {VALUE_TYPE[node.dtype]})"
    if isinstance(node, IndexValue):
        return f"tl.cast({ctx.index(node.expr)}, {VALUE_TYPE[node.dtype]})"
    if isinstance(node, Cast):
        return render_cast(node.value, k.by_name[node.value].dtype, node.dtype)
    if isinstance(node, Compute):
        arg_dtype = k.by_name[node.args[-1]].dtype.compute
        return apply_rule(TRITON_OPS, TARGET, node.op, list(node.args), arg_dtype, node.name)
    raise UnsupportedOp(TARGET, type(node).__name__, node=node.name)


def render_nodes(nodes, ctx: _Ctx) -> list[str]:
    """Straight-line statements; a load repeated in the same scope reuses the first one."""
    lines = []
    for node in nodes:
        if isinstance(node, Store):
            lines.append(render_store(node, ctx))
            continue
        if isinstance(node, Reduce):
            tile = f"tl.where(xmask & rmask, {_reduced_value(node, ctx)}, {_reduce_init(node)})"
            lines.append(f"{node.name} = {_fold(node, tile)}")
            continue
        if isinstance(node, Load):
            key = (node.buffer, node.index, node.mask, node.other)
            seen = next((scope[key] for scope in ctx.loads if key in scope), None)
            if seen is not None:
                lines.append(f"{node.name} = {seen}")
                continue
            ctx.loads[-1][key] = node.name
        lines.append(f"{node.name} = {render_value(node, ctx)}")
    return lines


def _accumulator_type(node: Reduce) -> str:
    if node.op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN):
        raise UnsupportedOp(TARGET, node.op, node.dtype, node.name)
    return VALUE_TYPE[node.dtype.compute]


def _reduce_init(node: Reduce) -> str:
    dtype = node.dtype.compute
    if node.op in (ReduceOp.MAX, ReduceOp.MIN):
        sign = -1 if node.op is ReduceOp.MAX else 1
        if dtype.is_float:
            return literal(sign * math.inf, dtype)
        bits = INT_BITS.get(dtype)
        if bits is None:          # u8 / bool
            return "0" if sign < 0 else str(255 if dtype is DType.U8 else 1)
        return str(-2 ** (bits - 1)) if sign < 0 else str(2 ** (bits - 1) - 1)
    return {ReduceOp.SUM: "0", ReduceOp.PROD: "1", ReduceOp.ANY: "0"}[node.op]


def _reduced_value(node: Reduce, ctx: _Ctx) -> str:
    """The value to reduce, in the accumulator's type."""
    acc_type = _accumulator_type(node)
    if VALUE_TYPE[ctx.kernel.by_name[node.value].dtype] != acc_type:
        return f"{node.value}.to({acc_type})"
    return node.value


def _fold(node: Reduce, acc: str) -> str:
    return REDUCE_FOLD[node.op].format(acc=acc) + "[:, None]"


def decompose(axes, flat: str, ctx: _Ctx) -> list[str]:
    """Axis variables from a flattened index (the outermost axis needs no modulo)."""
    lines = []
    for i, axis in enumerate(axes):
        stride = numel(axes[i + 1:])
        quotient = flat if stride == 1 else f"{flat} // {ctx.index(stride)}"
        if i == 0:
            lines.append(f"{axis.symbol} = {quotient}")
        else:
            quotient = quotient if stride == 1 else f"({quotient})"
            lines.append(f"{axis.symbol} = {quotient} % {ctx.index(axis.size)}")
    return lines


def _prologue(ctx: _Ctx) -> list[str]:
    """Sizes, program offset, x index and mask, x axis variables (shared by every variant)."""
    plan = ctx.plan
    lines = [f"{s} = tl.cast({s}, tl.int64)" for s in ctx.kernel.sizes]
    pid = "tl.program_id(0)" + (".to(tl.int64)" if plan.index_dtype == "tl.int64" else "")
    column = "[:, None]" if ctx.reduction else ""
    lines += [f"xnumel = {ctx.index(plan.xnumel)}"]
    if ctx.reduction:
        lines.append(f"rnumel = {ctx.index(plan.rnumel)}")
    lines += [f"xoffset = {pid} * XBLOCK",
              f"xindex = xoffset + tl.arange(0, XBLOCK){column}",
              "xmask = xindex < xnumel"]
    return lines + decompose(ctx.kernel.axes, "xindex", ctx)


def _r_index(offset: str, ctx: _Ctx) -> list[str]:
    return [f"rindex = {offset}tl.arange(0, RBLOCK)[None, :]", "rmask = rindex < rnumel",
            *decompose(ctx.kernel.reduce_axes, "rindex", ctx)]


def render_persistent(ctx: _Ctx) -> list[str]:
    """The whole row in one tile: every node once, in order; reductions fold the tile."""
    return _prologue(ctx) + _r_index("", ctx) + render_nodes(ctx.kernel.nodes, ctx)


def render_pointwise(ctx: _Ctx) -> list[str]:
    return _prologue(ctx) + render_nodes(ctx.kernel.nodes, ctx)


def render_looped(ctx: _Ctx) -> list[str]:
    """One walk over the row in RBLOCK chunks per pass; accumulators fold after each walk."""
    lines = _prologue(ctx)
    for p in ctx.plan.passes:
        lines += render_nodes(p.before, ctx)
        if not (p.inside or p.reductions):
            continue
        accs = {r.name: f"acc_{r.name}" for r in p.reductions}
        lines += [f"{accs[r.name]} = tl.full([XBLOCK, RBLOCK], {_reduce_init(r)}, {_accumulator_type(r)})"
                  for r in p.reductions]
        ctx.loads.append({})
        body = _r_index("roffset + ", ctx) + render_nodes(_used_inside(p), ctx)
        ctx.loads.pop()
        for r in p.reductions:
            update = REDUCE_UPDATE[r.op].format(acc=accs[r.name], v=_reduced_value(r, ctx))
            body.append(f"{accs[r.name]} = tl.where(xmask & rmask, {update}, {accs[r.name]})")
        lines += ["for roffset in range(0, rnumel, RBLOCK):"] + ["    " + b for b in body]
        lines += [f"{r.name} = {_fold(r, accs[r.name])}" for r in p.reductions]
    return lines


def _used_inside(p: Pass) -> list[Node]:
    """The inner nodes this walk needs: its stores, its reductions' values and their ancestors
    (schedule_passes also lists inner values only a later walk uses; that walk recomputes them)."""
    needed = {r.value for r in p.reductions}
    used = []
    for node in reversed(p.inside):
        if isinstance(node, Store) or node.name in needed:
            used.append(node)
            needed.update(node.operands)
    return used[::-1]


RENDER_VARIANT = {"pointwise": render_pointwise, "persistent": render_persistent,
                  "looped": render_looped}


def _variant_table(plan: TritonPlan, names: dict[str, str]) -> list[str]:
    """Launcher rows (largest rnumel served or None, kernel, RBLOCK or 0 for the next power of 2)."""
    rows = []
    for i, variant in enumerate(plan.variants):
        last = i == len(plan.variants) - 1
        limit = "None" if last else str(plan.caps.max_persistent_rblock)
        rblock = plan.caps.loop_rblock if variant == "looped" else (0 if variant == "persistent" else 1)
        rows.append(f"({limit}, {names[variant]}, {rblock})")
    return rows


TEMPLATE = "triton/kernel.py.j2"


def template_context(kernel: Kernel, plan: TritonPlan, entry: str = "call") -> dict:
    """Everything the template places: kernel bodies, the launcher's variant table and sizes."""
    printer = IndexPrinter({}, floordiv="({a} // {b})", mod="({a} % {b})")
    arg_names = [b.name for b in kernel.buffers] + [s.name for s in kernel.sizes]
    constexprs = ["XBLOCK: tl.constexpr"] + (["RBLOCK: tl.constexpr"] if kernel.reduce_axes else [])
    names = {v: f"{kernel.name}_{v}" for v in plan.variants}
    kernels = []
    for variant in plan.variants:
        ctx = _Ctx(kernel, plan, printer)
        ctx.dims = infer_dims(kernel, ctx)
        kernels.append({"name": names[variant], "params": arg_names + constexprs,
                        "body": RENDER_VARIANT[variant](ctx)})
    caps = plan.caps
    return dict(kernel_name=kernel.name, origin=kernel.origin.splitlines(), kernels=kernels,
                variants=_variant_table(plan, names), entry=entry, arg_names=arg_names,
                xnumel=printer(plan.xnumel), rnumel=printer(plan.rnumel),
                reduction=bool(kernel.reduce_axes), tile=caps.tile, max_xblock=caps.max_xblock,
                max_warps=caps.max_warps)


def render_kernel(kernel: Kernel, plan: TritonPlan, entry: str = "call") -> KernelSource:
    """Render the Triton module (kernels + launcher `entry`) for one kernel."""
    text = ENV.get_template(TEMPLATE).render(**template_context(kernel, plan, entry))
    if "'''" in text:     # the wrapper embeds the module in r'''...'''
        raise UnsupportedOp(TARGET, "triple quotes in generated text", node=kernel.name)
    arg_names = tuple(b.name for b in kernel.buffers) + tuple(s.name for s in kernel.sizes)
    arg_types = tuple(SIGNATURE[b.dtype] for b in kernel.buffers) + ("i64",) * len(kernel.sizes)
    return KernelSource(TARGET, kernel.name, text, entry, arg_names, arg_types)
