"""Shared pieces of the renderers: the op-table type, UnsupportedOp, the rendered-source record,
the Jinja environment and an index-expression printer. Imports autofuse and jinja2, never torch."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Union

import jinja2
import sympy

from ..autofuse.ir import DType, FloorDiv, Mod, Op

# An entry is a format string over the rendered operands ({a} {b} {c} for binary/ternary, {x} for
# unary), or a function (operands..., dtype=...) -> str where the dtype matters.
OpRule = Union[str, Callable[..., str]]
OpTable = Mapping[Op, OpRule]


class UnsupportedOp(Exception):
    """A renderer cannot express an op (or a pattern) for a dtype; the glue falls back per kernel."""

    def __init__(self, target: str, op: object, dtype: DType | str | None = None, node: str = ""):
        self.target, self.op, self.dtype, self.node = target, op, dtype, node
        op_name = getattr(op, "name", op)
        dt = getattr(dtype, "value", dtype)
        super().__init__(f"{target}: unsupported {op_name}" + (f" for {dt}" if dt else "")
                         + (f" at `{node}`" if node else ""))


@dataclass(frozen=True)
class KernelSource:
    """A rendered kernel: the full source text, its entry point, the argument names in call order
    (buffers, then size symbols) and a target-specific argument-type list for the binding."""
    target: str
    name: str
    text: str
    entry: str
    arg_names: tuple[str, ...]
    arg_types: tuple[str, ...]


def make_env() -> jinja2.Environment:
    """The Jinja environment every renderer uses (StrictUndefined; templates only place data)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("inductor_npu_ext.templates", ""),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False)


ENV = make_env()


def operand_keys(op: Op) -> tuple[str, ...]:
    from ..autofuse.ir import ARITY
    return {1: ("x",), 2: ("a", "b"), 3: ("cond", "a", "b")}[ARITY[op]]


def apply_rule(table: OpTable, target: str, op: Op, args: list[str], dtype: DType, node: str = "") -> str:
    """Render `op(args)` through a target's table; raises UnsupportedOp when the op is missing."""
    rule = table.get(op)
    if rule is None:
        raise UnsupportedOp(target, op, dtype, node)
    keys = operand_keys(op)
    if callable(rule):
        return rule(*args, dtype=dtype)
    return rule.format(**dict(zip(keys, args)))


def float_or_int(float_form: str, int_form: str) -> Callable[..., str]:
    """An op-table rule choosing its form by the operands' dtype (unary {x} or binary {a} {b})."""
    def rule(*args: str, dtype: DType) -> str:
        keys = dict(zip(("a", "b"), args)) if len(args) == 2 else {"x": args[0]}
        return (float_form if dtype.is_float else int_form).format(**keys)
    return rule


def format_float(value: float, suffix: str = "f", inf: str = "INFINITY", nan: str = "NAN") -> str:
    """A float literal that round-trips; inf/nan spelled by the target."""
    if math.isnan(value):
        return nan
    if math.isinf(value):
        return inf if value > 0 else f"-{inf}"
    return repr(float(value)) + suffix


class IndexPrinter:
    """Prints integer sympy index expressions with explicit integer ops (no pow, no floats).
    `floordiv`/`mod` are format strings over {a} {b}; `max_fn`/`min_fn` name the target's
    two-argument max/min; names maps symbols to target names."""

    def __init__(self, names: Mapping[sympy.Symbol, str], floordiv: str = "({a} / {b})",
                 mod: str = "({a} % {b})", max_fn: str = "max", min_fn: str = "min"):
        self.names, self.floordiv, self.mod = names, floordiv, mod
        self.max_fn, self.min_fn = max_fn, min_fn

    def __call__(self, expr: sympy.Expr) -> str:
        return self.print(sympy.sympify(expr))

    def print(self, e: sympy.Expr) -> str:
        if e.is_Integer:
            return str(int(e))
        if e.is_Symbol:
            return self.names.get(e, e.name)
        if isinstance(e, FloorDiv):
            return self.floordiv.format(a=self.print(e.args[0]), b=self.print(e.args[1]))
        if isinstance(e, Mod):
            return self.mod.format(a=self.print(e.args[0]), b=self.print(e.args[1]))
        if e.is_Add:
            terms = sorted(e.args, key=sympy.default_sort_key)
            return "(" + " + ".join(self.print(t) for t in terms) + ")"
        if e.is_Mul:
            factors = sorted(e.args, key=sympy.default_sort_key)
            return "(" + " * ".join(self.print(f) for f in factors) + ")"
        if e.is_Pow and e.exp.is_Integer and int(e.exp) > 0:
            return "(" + " * ".join([self.print(e.base)] * int(e.exp)) + ")"
        if isinstance(e, (sympy.Max, sympy.Min)):
            fn = self.max_fn if isinstance(e, sympy.Max) else self.min_fn
            out = self.print(e.args[0])
            for arg in e.args[1:]:
                out = f"{fn}({out}, {self.print(arg)})"
            return out
        raise UnsupportedOp("index", type(e).__name__, node=str(e))
