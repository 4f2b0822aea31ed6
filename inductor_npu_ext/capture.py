"""Capture: replay the LoopBodies of one Inductor fused group under our ops handler and build an
autofuse Kernel. Imports torch (Inductor internals) and autofuse; nothing here renders source."""
from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Sequence

import sympy
import torch
from torch._inductor.ops_handler import DefaultHandler
from torch._inductor.utils import sympy_index_symbol
from torch._inductor.virtualized import V
from torch.utils._sympy.symbol import SymT, symbol_is_type

from .autofuse import ir
from .autofuse.ir import DType, Op, ReduceOp


class CaptureError(Exception):
    """This group cannot be expressed in the autofuse IR (the glue falls back, with this reason)."""


DTYPES = {torch.float64: DType.F64, torch.float32: DType.F32, torch.float16: DType.F16,
          torch.bfloat16: DType.BF16, torch.int64: DType.I64, torch.int32: DType.I32,
          torch.int16: DType.I16, torch.int8: DType.I8, torch.uint8: DType.U8, torch.bool: DType.BOOL}

# Inductor op name -> autofuse Op (one line per op; missing names are unsupported)
OPS = {
    "add": Op.ADD, "sub": Op.SUB, "div_rn": Op.TRUEDIV, "and_": Op.LOGICAL_AND,
    "or_": Op.LOGICAL_OR, "xor": Op.LOGICAL_XOR, "mul": Op.MUL, "truediv": Op.TRUEDIV, "div": Op.TRUEDIV,
    "int_truediv": Op.TRUEDIV, "floordiv": Op.FLOORDIV, "truncdiv": Op.TRUNCDIV, "mod": Op.FMOD,
    "fmod": Op.FMOD, "remainder": Op.REMAINDER, "pow": Op.POW, "maximum": Op.MAXIMUM,
    "minimum": Op.MINIMUM, "atan2": Op.ATAN2, "copysign": Op.COPYSIGN, "neg": Op.NEG,
    "abs": Op.ABS, "exp": Op.EXP, "exp2": Op.EXP2, "expm1": Op.EXPM1, "log": Op.LOG,
    "log2": Op.LOG2, "log10": Op.LOG10, "log1p": Op.LOG1P, "sqrt": Op.SQRT, "rsqrt": Op.RSQRT,
    "reciprocal": Op.RECIPROCAL, "sigmoid": Op.SIGMOID, "tanh": Op.TANH, "erf": Op.ERF,
    "sin": Op.SIN, "cos": Op.COS, "tan": Op.TAN, "asin": Op.ASIN, "acos": Op.ACOS,
    "atan": Op.ATAN, "sinh": Op.SINH, "cosh": Op.COSH, "floor": Op.FLOOR, "ceil": Op.CEIL,
    "trunc": Op.TRUNC, "round": Op.ROUND, "sign": Op.SIGN, "relu": Op.RELU, "isnan": Op.ISNAN,
    "isinf": Op.ISINF, "square": Op.SQUARE, "eq": Op.EQ, "ne": Op.NE, "lt": Op.LT, "le": Op.LE,
    "gt": Op.GT, "ge": Op.GE, "logical_and": Op.LOGICAL_AND, "logical_or": Op.LOGICAL_OR,
    "logical_xor": Op.LOGICAL_XOR, "logical_not": Op.LOGICAL_NOT,
    "bitwise_and": Op.BITWISE_AND, "bitwise_or": Op.BITWISE_OR, "bitwise_xor": Op.BITWISE_XOR,
    "bitwise_not": Op.BITWISE_NOT, "where": Op.WHERE,
}
# ops that round to an integer dtype: (Op applied first, then a cast to the requested dtype)
TO_INT = {"floor_to_int": Op.FLOOR, "ceil_to_int": Op.CEIL, "trunc_to_int": Op.TRUNC,
          "round_to_int": Op.ROUND}
REDUCTIONS = {"sum": ReduceOp.SUM, "prod": ReduceOp.PROD, "max": ReduceOp.MAX,
              "min": ReduceOp.MIN, "argmax": ReduceOp.ARGMAX, "argmin": ReduceOp.ARGMIN,
              "any": ReduceOp.ANY}
_FLOAT_RANK = {DType.BF16: 1, DType.F16: 1, DType.F32: 2, DType.F64: 3}
_INT_RANK = {DType.BOOL: 0, DType.U8: 1, DType.I8: 1, DType.I16: 2, DType.I32: 3, DType.I64: 4}


def to_dtype(dtype: torch.dtype) -> DType:
    try:
        return DTYPES[dtype]
    except KeyError:
        raise CaptureError(f"dtype {dtype} is not supported") from None


def promote(dtypes: Sequence[DType]) -> DType:
    """Result dtype of a pointwise op, as torch promotes (bf16 with f16 -> f32)."""
    floats = [d for d in dtypes if d.is_float]
    if floats:
        top = max(floats, key=lambda d: _FLOAT_RANK[d])
        if {DType.BF16, DType.F16} <= set(floats) and _FLOAT_RANK[top] == 1:
            return DType.F32
        return top
    return max(dtypes, key=lambda d: _INT_RANK[d])


def convert_index(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite torch's sympy index functions into autofuse's (FloorDiv, Mod)."""
    expr = sympy.sympify(expr)
    if expr.is_Atom:
        return expr
    args = [convert_index(a) for a in expr.args]
    name = type(expr).__name__
    if name in ("FloorDiv", "CleanDiv"):
        return ir.FloorDiv(*args)
    if name == "ModularIndexing":
        return ir.Mod(ir.FloorDiv(args[0], args[1]), args[2])
    if name in ("PythonMod", "Mod"):
        return ir.Mod(*args)
    if name == "Identity":
        return args[0]
    if isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow, sympy.Max, sympy.Min)):
        return expr.func(*args)
    raise CaptureError(f"index function {name} is not supported: {expr}")


class CaptureHandler(DefaultHandler):
    """Ops handler that appends autofuse nodes; values flowing between ops are SSA names."""

    def __init__(self, builder: "KernelBuilder"):
        self.b = builder

    def _default(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name == "identity":
            return args[0]
        if name in TO_INT:
            value = self.b.compute(TO_INT[name], args[:1])
            return self.b.cast(value, to_dtype(args[1]))
        op = OPS.get(name)
        if op is None:
            raise CaptureError(f"op {name} is not supported")
        return self.b.compute(op, args)

    def load(self, name: str, index: sympy.Expr) -> str:
        return self.b.load(name, index)

    def store(self, name: str, index: sympy.Expr, value: str, mode: Any = None) -> None:
        if mode is not None:
            raise CaptureError(f"store mode {mode} is not supported")
        self.b.store(name, index, value)

    def store_reduction(self, name: str, index: sympy.Expr, value: str) -> None:
        self.b.store(name, index, value)

    def reduction(self, dtype, src_dtype, reduction_type, value):
        op = REDUCTIONS.get(reduction_type)
        if op is None or isinstance(value, tuple):
            raise CaptureError(f"reduction {reduction_type} is not supported")
        return self.b.reduce(op, value, to_dtype(dtype))

    def to_dtype(self, x, dtype, src_dtype=None, use_compute_types=True):
        return self.b.cast(x, to_dtype(dtype))

    def constant(self, value, dtype):
        return self.b.add(ir.Constant, to_dtype(dtype), value=value)

    def index_expr(self, expr, dtype):
        return self.b.add(ir.IndexValue, to_dtype(dtype), expr=self.b.index(expr))

    def masked(self, mask, body, other):
        self.b.masks.append(mask)
        try:
            result = body()
        finally:
            self.b.masks.pop()
        dtype = self.b.dtype_of(result)
        other_name = self.b.add(ir.Constant, dtype, value=other)
        return self.b.compute(Op.WHERE, (mask, result, other_name))

    def indirect_indexing(self, *args, **kwargs):
        raise CaptureError("indirect indexing is not supported")

    def check_bounds(self, *args, **kwargs):
        raise CaptureError("indirect indexing is not supported")

    def to_dtype_bitcast(self, *args, **kwargs):
        raise CaptureError("to_dtype_bitcast is not supported")


class KernelBuilder:
    """Accumulates nodes for one kernel; forwards loads of buffers stored earlier in the kernel."""

    def __init__(self, buffer_dtype, real_name=lambda n: n, simplify_index=lambda e: e):
        self.buffer_dtype, self.real_name = buffer_dtype, real_name
        self.simplify_index = simplify_index
        self.nodes: list[ir.Node] = []
        self.dtypes: dict[str, DType] = {}
        self.counter = itertools.count()
        self.masks: list[str] = []
        self.stored: dict[str, dict[sympy.Expr, str]] = {}   # buffer -> index -> value
        self.reads: dict[str, DType] = {}
        self.read_at: dict[str, set] = {}
        self.writes: dict[str, DType] = {}

    # -- helpers
    def dtype_of(self, value: str) -> DType:
        return self.dtypes[value]

    def add(self, cls, dtype: DType, **fields) -> str:
        name = f"v{next(self.counter)}"
        self.nodes.append(cls(name=name, dtype=dtype, **fields))
        self.dtypes[name] = dtype
        return name

    def index(self, expr) -> sympy.Expr:
        return convert_index(self.simplify_index(expr))

    def _value(self, value) -> str:
        """Inductor sometimes passes Python scalars straight into ops; make them constants."""
        if isinstance(value, str) and value in self.dtypes:
            return value
        if isinstance(value, bool):
            return self.add(ir.Constant, DType.BOOL, value=value)
        if isinstance(value, int):
            return self.add(ir.Constant, DType.I64, value=value)
        if isinstance(value, float):
            return self.add(ir.Constant, DType.F32, value=value)
        if isinstance(value, sympy.Expr):
            return self.add(ir.IndexValue, DType.I64, expr=self.index(value))
        raise CaptureError(f"unexpected operand {value!r}")

    # -- node kinds
    def load(self, buffer: str, index) -> str:
        buffer = self.real_name(buffer)
        index = self.index(index)
        forwarded = self.stored.get(buffer, {}).get(index)
        if forwarded is not None:
            return forwarded
        if buffer in self.stored:
            raise CaptureError(f"{buffer} is read at {index} but written at another index in the same kernel")
        dtype = to_dtype(self.buffer_dtype(buffer))
        self.reads[buffer] = dtype
        self.read_at.setdefault(buffer, set()).add(index)
        mask = self._mask()
        return self.add(ir.Load, dtype, buffer=buffer, index=index, mask=mask, other=0)

    def _mask(self) -> str | None:
        if not self.masks:
            return None
        mask = self.masks[0]
        for other in self.masks[1:]:
            mask = self.compute(Op.LOGICAL_AND, (mask, other))
        return mask

    def store(self, buffer: str, index, value) -> None:
        buffer = self.real_name(buffer)
        value = self._value(value)
        index = self.index(index)
        if self.read_at.get(buffer, {index}) != {index}:
            # an in-place update must read and write the same element in the same iteration
            raise CaptureError(f"{buffer} is read at other indices than it is written in one kernel")
        self.writes[buffer] = to_dtype(self.buffer_dtype(buffer))
        self.stored.setdefault(buffer, {})[index] = value
        self.nodes.append(ir.Store(name=f"store_{buffer}", dtype=self.writes[buffer],
                                   buffer=buffer, index=index, value=value))

    def compute(self, op: Op, args) -> str:
        args = tuple(self._value(a) for a in args)
        if len(args) != ir.ARITY[op]:
            raise CaptureError(f"{op.value} called with {len(args)} operands")
        operand_dtypes = [self.dtypes[a] for a in (args[1:] if op is Op.WHERE else args)]
        dtype = DType.BOOL if op in ir.BOOL_RESULT else promote(operand_dtypes)
        if op in (Op.SIGMOID, Op.EXP, Op.LOG, Op.SQRT, Op.RSQRT, Op.TANH, Op.ERF) and not dtype.is_float:
            dtype = DType.F32
        return self.add(ir.Compute, dtype, op=op, args=args)

    def cast(self, value, dtype: DType) -> str:
        value = self._value(value)
        if self.dtypes[value] == dtype:
            return value
        return self.add(ir.Cast, dtype, value=value)

    def reduce(self, op: ReduceOp, value, dtype: DType) -> str:
        value = self._value(value)
        if op in (ReduceOp.ARGMAX, ReduceOp.ARGMIN):
            dtype = DType.I64
        return self.add(ir.Reduce, dtype, op=op, value=value)


def size_symbols(exprs, axis_symbols) -> tuple[sympy.Symbol, ...]:
    """Size symbols (s0, s77, u0...) the kernel takes as trailing int64 arguments."""
    found = set()
    for e in exprs:
        for s in sympy.sympify(e).free_symbols - set(axis_symbols):
            if not symbol_is_type(s, (SymT.SIZE, SymT.UNBACKED_INT)):
                raise CaptureError(f"symbol {s} of an unsupported kind in an index")
            found.add(s)
    return tuple(sorted(found, key=lambda s: s.name))


def node_sizes(sn) -> tuple[tuple, tuple]:
    return tuple(tuple(s) for s in sn.get_ranges())


def group_ranges(snodes) -> tuple[tuple, tuple]:
    """(pointwise ranges, reduction ranges) shared by the group: its reduction node's, or for a
    pointwise group the finest split of the iteration space."""
    sizes = [node_sizes(sn) for sn in snodes]
    reductions = [s for s in sizes if s[1]]
    if reductions:
        return reductions[0]
    return max(sizes, key=lambda s: len(s[0]))


def _merged_indices(node_dims, dims, symbols):
    """Index expressions for a node whose dims merge consecutive `dims` (Inductor merges loops
    differently per node: (T*D,) beside (T, D)), or None when they do not line up."""
    exprs, i = [], 0
    for size in node_dims:
        start, product = i, sympy.Integer(1)
        while i < len(dims) and (i == start or sympy.expand(product - size) != 0):
            product, i = product * dims[i], i + 1
        if sympy.expand(product - size) != 0:
            return None
        exprs.append(sum(symbols[k] * sympy.Mul(*dims[k + 1:i]) for k in range(start, i)))
    if any(d != 1 for d in dims[i:]):
        return None
    return exprs


def replay_indices(sizes, prange, rrange, xs, rs):
    """(iteration, reduction) index lists to replay a node of `sizes` in the group, or None: the
    node runs over (P, R) (a reduction), over P + R (an epilogue over every element) or over P
    (a suffix once per row), possibly with some of those loops merged."""
    (node_p, node_r) = sizes
    if node_r:
        return (xs, rs) if sizes == (prange, rrange) else None
    candidates = [(prange + rrange, xs + rs), (prange, xs)] if rrange else [(prange, xs)]
    for dims, symbols in candidates:
        exprs = _merged_indices(node_p, dims, symbols)
        if exprs is not None:
            return exprs, []
    return None


def capture_group(name: str, snodes, removable: set[str] = frozenset()) -> ir.Kernel:
    """Replay every SchedulerNode of a fused group into one Kernel. Stores to `removable` buffers
    (used only inside this group) are dropped once their values are forwarded."""
    prange, rrange = group_ranges(snodes)
    xs = [sympy_index_symbol(f"x{i}") for i in range(len(prange))]
    rs = [sympy_index_symbol(f"r{i}") for i in range(len(rrange))]
    scheduler = V.graph.scheduler
    real = (lambda n: scheduler.mutation_real_name.get(n, n)) if scheduler else (lambda n: n)
    # with the axis ranges known, FloorDiv(s0*x1 + x2, s0) is x1: merged loops replay as affine
    ranges = dict(zip(xs + rs, prange + rrange))
    builder = KernelBuilder(V.graph.get_dtype, real,
                            lambda e: V.graph.sizevars.simplify_with_ranges(sympy.sympify(e), ranges))
    handler = CaptureHandler(builder)
    for sn in snodes:
        body = sn._body
        sizes = node_sizes(sn)
        indices = replay_indices(sizes, prange, rrange, xs, rs)
        if indices is None:
            raise CaptureError(f"node {sn.get_name()} has ranges {sizes}, group has {(prange, rrange)}")
        with V.set_ops_handler(handler):
            body(*indices)
    nodes = simplify([n for n in builder.nodes
                      if not (isinstance(n, ir.Store) and n.buffer in removable)])
    if not any(isinstance(n, ir.Store) for n in nodes):
        raise CaptureError("the group stores nothing outside itself")
    buffers = _buffers(builder, nodes)
    axes = tuple(ir.Axis(s, convert_index(size)) for s, size in zip(xs, prange))
    raxes = tuple(ir.Axis(s, convert_index(size)) for s, size in zip(rs, rrange))
    exprs = [a.size for a in axes + raxes]
    exprs += [n.index for n in nodes if isinstance(n, (ir.Load, ir.Store))]
    exprs += [n.expr for n in nodes if isinstance(n, ir.IndexValue)]
    origin = ", ".join(sn.get_name() for sn in snodes)
    return ir.Kernel(name=name, axes=axes, reduce_axes=raxes, buffers=buffers, nodes=tuple(nodes),
                     sizes=size_symbols(exprs, xs + rs), origin=f"fused nodes: {origin}")


def simplify(nodes: list[ir.Node]) -> list[ir.Node]:
    """Stores round to their buffer's dtype, so a store of a Cast to that same fp16/bf16 dtype
    stores the Cast's operand (rounding twice is rounding once); then drop nodes nothing uses."""
    by_name = {n.name: n for n in nodes if not isinstance(n, ir.Store)}
    out = []
    for n in nodes:
        source = by_name.get(n.value) if isinstance(n, ir.Store) else None
        if isinstance(source, ir.Cast) and source.dtype == n.dtype and n.dtype.is_low_precision:
            n = dataclasses.replace(n, value=source.value)
        out.append(n)
    return _prune(out)


def _prune(nodes: list[ir.Node]) -> list[ir.Node]:
    """Remove nodes no store depends on (transitively)."""
    needed: set[str] = set()
    for n in reversed(nodes):
        if isinstance(n, ir.Store) or n.name in needed:
            needed.update(n.operands)
    return [n for n in nodes if isinstance(n, ir.Store) or n.name in needed]


def _buffers(builder: KernelBuilder, nodes) -> tuple[ir.Buffer, ...]:
    read = {n.buffer for n in nodes if isinstance(n, ir.Load)}
    written = {n.buffer for n in nodes if isinstance(n, ir.Store)}
    order = list(dict.fromkeys([n.buffer for n in nodes if isinstance(n, (ir.Load, ir.Store))]))
    result = []
    for name in order:
        role = "inout" if name in read and name in written else ("out" if name in written else "in")
        dtype = builder.writes.get(name) or builder.reads[name]
        result.append(ir.Buffer(name, dtype, role))
    return tuple(result)
