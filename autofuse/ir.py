"""The autofuse kernel IR: one fused loop nest as a flat SSA list of nodes.

Depends on sympy only (never torch). The first file a newcomer reads: every node kind is a frozen
dataclass with one comment, and `Kernel` says how they fit together.

A `Kernel` iterates an outer space (`axes`, the pointwise ranges) and, per outer point, an
optional inner reduction space (`reduce_axes`). Every node's value lives either once per outer
point ("outer") or once per outer+inner point ("inner": it depends on a reduction axis). A
`Reduce` turns an inner value into an outer one. Loads and stores carry a sympy index over the
axis symbols and the size symbols; `affine()` derives per-axis strides + offset where it can.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

import sympy


class DType(enum.Enum):
    F64 = "f64"
    F32 = "f32"
    F16 = "f16"
    BF16 = "bf16"
    I64 = "i64"
    I32 = "i32"
    I16 = "i16"
    I8 = "i8"
    U8 = "u8"
    BOOL = "bool"

    @property
    def is_float(self) -> bool:
        return self in (DType.F64, DType.F32, DType.F16, DType.BF16)

    @property
    def is_low_precision(self) -> bool:
        """fp16/bf16: stored narrow, computed in fp32 (rounded at casts and stores)."""
        return self in (DType.F16, DType.BF16)

    @property
    def compute(self) -> "DType":
        """The dtype arithmetic happens in."""
        return DType.F32 if self.is_low_precision else self

    @property
    def itemsize(self) -> int:
        return {"f64": 8, "i64": 8, "f32": 4, "i32": 4, "f16": 2, "bf16": 2, "i16": 2}.get(self.value, 1)


class Op(enum.Enum):
    """Compute ops. Arity is fixed per op (see ARITY)."""
    # binary arithmetic
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    TRUEDIV = "truediv"
    FLOORDIV = "floordiv"      # python floor division (ints and floats)
    TRUNCDIV = "truncdiv"      # C integer division
    FMOD = "fmod"              # C fmod: sign of the dividend
    REMAINDER = "remainder"    # python %: sign of the divisor
    POW = "pow"
    MAXIMUM = "maximum"        # NaN-propagating, like torch.maximum
    MINIMUM = "minimum"
    ATAN2 = "atan2"
    COPYSIGN = "copysign"
    # unary
    NEG = "neg"
    ABS = "abs"
    EXP = "exp"
    EXP2 = "exp2"
    EXPM1 = "expm1"
    LOG = "log"
    LOG2 = "log2"
    LOG10 = "log10"
    LOG1P = "log1p"
    SQRT = "sqrt"
    RSQRT = "rsqrt"
    RECIPROCAL = "reciprocal"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    ERF = "erf"
    SIN = "sin"
    COS = "cos"
    TAN = "tan"
    ASIN = "asin"
    ACOS = "acos"
    ATAN = "atan"
    SINH = "sinh"
    COSH = "cosh"
    FLOOR = "floor"
    CEIL = "ceil"
    TRUNC = "trunc"
    ROUND = "round"            # round half to even, like torch.round
    SIGN = "sign"
    RELU = "relu"
    ISNAN = "isnan"
    ISINF = "isinf"
    SQUARE = "square"
    # comparisons (result BOOL)
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    # logical (BOOL operands) and bitwise (integer operands)
    LOGICAL_AND = "logical_and"
    LOGICAL_OR = "logical_or"
    LOGICAL_XOR = "logical_xor"
    LOGICAL_NOT = "logical_not"
    BITWISE_AND = "bitwise_and"
    BITWISE_OR = "bitwise_or"
    BITWISE_XOR = "bitwise_xor"
    BITWISE_NOT = "bitwise_not"
    # ternary
    WHERE = "where"            # where(cond, a, b)


UNARY = frozenset({
    Op.NEG, Op.ABS, Op.EXP, Op.EXP2, Op.EXPM1, Op.LOG, Op.LOG2, Op.LOG10, Op.LOG1P, Op.SQRT,
    Op.RSQRT, Op.RECIPROCAL, Op.SIGMOID, Op.TANH, Op.ERF, Op.SIN, Op.COS, Op.TAN, Op.ASIN,
    Op.ACOS, Op.ATAN, Op.SINH, Op.COSH, Op.FLOOR, Op.CEIL, Op.TRUNC, Op.ROUND, Op.SIGN, Op.RELU,
    Op.ISNAN, Op.ISINF, Op.SQUARE, Op.LOGICAL_NOT, Op.BITWISE_NOT,
})
COMPARISONS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})
BOOL_RESULT = COMPARISONS | {Op.LOGICAL_AND, Op.LOGICAL_OR, Op.LOGICAL_XOR, Op.LOGICAL_NOT,
                             Op.ISNAN, Op.ISINF}
ARITY = {op: (3 if op is Op.WHERE else 1 if op in UNARY else 2) for op in Op}


class ReduceOp(enum.Enum):
    SUM = "sum"
    PROD = "prod"
    MAX = "max"                # NaN-propagating
    MIN = "min"
    ARGMAX = "argmax"          # index (int64) into the flattened reduction space, first wins
    ARGMIN = "argmin"
    ANY = "any"                # logical or


# ----------------------------------------------------------------------------------- index math
class FloorDiv(sympy.Function):
    """Integer floor division of non-negative index expressions: FloorDiv(a, b) = a // b."""
    is_integer = True

    @classmethod
    def eval(cls, base, divisor):
        if divisor == 1:
            return base
        if base.is_Integer and divisor.is_Integer:
            return sympy.Integer(int(base) // int(divisor))
        return None


class Mod(sympy.Function):
    """Integer remainder of non-negative index expressions: Mod(a, b) = a % b."""
    is_integer = True

    @classmethod
    def eval(cls, base, divisor):
        if divisor == 1:
            return sympy.Integer(0)
        if base.is_Integer and divisor.is_Integer:
            return sympy.Integer(int(base) % int(divisor))
        return None


# ------------------------------------------------------------------------------------- the nodes
@dataclass(frozen=True)
class Axis:
    """One loop axis: its index symbol (x0.. outer, r0.. reduction) and its size (int or symbol)."""
    symbol: sympy.Symbol
    size: sympy.Expr


@dataclass(frozen=True)
class Buffer:
    """A kernel argument tensor: name in the caller, element dtype, role 'in' | 'out' | 'inout'."""
    name: str
    dtype: DType
    role: str


@dataclass(frozen=True)
class Affine:
    """index = offset + sum(strides[s] * s) over axis symbols s; offset/strides may hold size symbols."""
    offset: sympy.Expr
    strides: tuple[tuple[sympy.Symbol, sympy.Expr], ...]

    def stride(self, symbol: sympy.Symbol) -> sympy.Expr:
        return dict(self.strides).get(symbol, sympy.Integer(0))


@dataclass(frozen=True)
class Node:
    """Base of all SSA nodes; `name` is the value's SSA name (v0, v1, ...), `dtype` its logical dtype."""
    name: str
    dtype: DType

    @property
    def operands(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class Load(Node):
    """v = buffer[index]; with `mask`, v = mask ? buffer[index] : `other` (index may be out of range)."""
    buffer: str = ""
    index: sympy.Expr = sympy.Integer(0)
    mask: str | None = None
    other: float | int | bool = 0

    @property
    def operands(self):
        return (self.mask,) if self.mask else ()


@dataclass(frozen=True)
class Constant(Node):
    """v = a literal (float('inf')/nan allowed) of `dtype`."""
    value: float | int | bool = 0


@dataclass(frozen=True)
class IndexValue(Node):
    """v = an integer index expression (of axis and size symbols) converted to `dtype`."""
    expr: sympy.Expr = sympy.Integer(0)


@dataclass(frozen=True)
class Compute(Node):
    """v = op(*args); float args of low-precision dtypes are computed in fp32."""
    op: Op = Op.ADD
    args: tuple[str, ...] = ()

    @property
    def operands(self):
        return self.args


@dataclass(frozen=True)
class Cast(Node):
    """v = value converted to `dtype` (a rounding point for fp16/bf16; C conversion for ints)."""
    value: str = ""

    @property
    def operands(self):
        return (self.value,)


@dataclass(frozen=True)
class Reduce(Node):
    """v (outer) = reduce `op` of the inner value over all reduction axes, accumulated in `dtype`."""
    op: ReduceOp = ReduceOp.SUM
    value: str = ""

    @property
    def operands(self):
        return (self.value,)


@dataclass(frozen=True)
class Store(Node):
    """buffer[index] = value (converted to the buffer's dtype). Has no result; dtype = buffer dtype."""
    buffer: str = ""
    index: sympy.Expr = sympy.Integer(0)
    value: str = ""

    @property
    def operands(self):
        return (self.value,)


# ------------------------------------------------------------------------------------- the kernel
@dataclass(frozen=True)
class Kernel:
    """One fused kernel. `nodes` are in a valid evaluation order; `sizes` are the size symbols the
    caller passes after the buffers (sorted by name)."""
    name: str
    axes: tuple[Axis, ...]
    reduce_axes: tuple[Axis, ...]
    buffers: tuple[Buffer, ...]
    nodes: tuple[Node, ...]
    sizes: tuple[sympy.Symbol, ...] = ()
    # free-form provenance for errors and logs (e.g. the Inductor node names)
    origin: str = field(default="", compare=False)

    @cached_property
    def by_name(self) -> dict[str, Node]:
        return {n.name: n for n in self.nodes if not isinstance(n, Store)}

    @cached_property
    def buffer_map(self) -> dict[str, Buffer]:
        return {b.name: b for b in self.buffers}

    @property
    def axis_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(a.symbol for a in self.axes)

    @property
    def reduce_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(a.symbol for a in self.reduce_axes)

    @cached_property
    def inner(self) -> frozenset[str]:
        """Names of nodes (stores included, by position `store<i>`) whose value varies along a
        reduction axis."""
        rsyms = set(self.reduce_symbols)
        result: set[str] = set()
        for i, node in enumerate(self.nodes):
            if isinstance(node, Reduce):
                continue
            own = _index_of(node)
            varies = own is not None and bool(own.free_symbols & rsyms)
            if varies or any(o in result for o in node.operands):
                result.add(store_key(i, node))
        return frozenset(result)

    @cached_property
    def passes(self) -> dict[str, int]:
        """Pass number of every node: 0 unless it depends on a Reduce; a Reduce of a pass-p value is
        available from pass p+1 on. Pass p's inner nodes run in the p-th loop over the reduction."""
        result: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            level = max((result[o] for o in node.operands), default=0)
            result[store_key(i, node)] = level + 1 if isinstance(node, Reduce) else level
        return result

    def reductions(self) -> list[Reduce]:
        return [n for n in self.nodes if isinstance(n, Reduce)]

    def stores(self) -> list[Store]:
        return [n for n in self.nodes if isinstance(n, Store)]

    def loads(self) -> list[Load]:
        return [n for n in self.nodes if isinstance(n, Load)]


def store_key(position: int, node: Node) -> str:
    """Stores have no SSA name; they are keyed by position in the node list."""
    return f"store{position}" if isinstance(node, Store) else node.name


def _index_of(node: Node) -> sympy.Expr | None:
    if isinstance(node, (Load, Store)):
        return node.index
    if isinstance(node, IndexValue):
        return node.expr
    return None


def affine(index: sympy.Expr, symbols: tuple[sympy.Symbol, ...]) -> Affine | None:
    """Per-axis strides + offset of `index` over `symbols`, or None when it is not affine in them
    (FloorDiv/Mod of an axis, products of axes)."""
    index = sympy.expand(index)
    strides = []
    rest = index
    for s in symbols:
        coeff = sympy.expand(index).coeff(s, 1)
        if coeff.free_symbols & set(symbols):
            return None
        strides.append((s, coeff))
        rest = rest - coeff * s
    rest = sympy.expand(rest)
    if rest.free_symbols & set(symbols):
        return None
    return Affine(offset=rest, strides=tuple(strides))
