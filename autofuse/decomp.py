"""Target-independent rewrites of a Kernel, one function per rule: an op some target lacks (or
computes too loosely) becomes a chain of simpler ops. Imports autofuse.ir only. A target lists
the rules it needs (codegen/ascendc.py: ASCENDC_REWRITES) and applies them before planning.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from .ir import Compute, Constant, DType, Kernel, Node, Op

# A rule maps one Compute node to replacement nodes (the last one keeps the node's name), or None.
Rule = Callable[[Compute], "list[Node] | None"]


def _unary(op: Op) -> Callable[[Rule], Rule]:
    def wrap(build):
        def rule(node: Compute):
            return build(node, node.args[0]) if node.op is op else None
        rule.__name__ = build.__name__
        return rule
    return wrap


def _chain(node: Compute, parts: list[tuple]) -> list[Node]:
    """Nodes named <node>_0, <node>_1, ...; the last keeps `node.name`. A part is (Op, args) or
    ('const', value); args may name earlier parts by their index (int)."""
    names = [f"{node.name}_{i}" for i in range(len(parts) - 1)] + [node.name]
    out: list[Node] = []
    for name, part in zip(names, parts):
        if part[0] == "const":
            out.append(Constant(name, DType.F32 if not node.dtype.is_float else node.dtype.compute,
                                value=part[1]))
            continue
        op, args = part
        args = tuple(names[a] if isinstance(a, int) else a for a in args)
        out.append(Compute(name, node.dtype, op=op, args=args))
    return out


@_unary(Op.RSQRT)
def rsqrt_as_div_sqrt(node: Compute, x: str):
    """rsqrt(x) -> 1 / sqrt(x): AscendC's Rsqrt misses the documented fp32 accuracy bound."""
    return _chain(node, [(Op.SQRT, (x,)), ("const", 1.0), (Op.TRUEDIV, (1, 0))])


@_unary(Op.RECIPROCAL)
def reciprocal_as_div(node: Compute, x: str):
    """reciprocal(x) -> 1 / x: AscendC's Reciprocal misses the documented fp32 accuracy bound."""
    return _chain(node, [("const", 1.0), (Op.TRUEDIV, (0, x))])


@_unary(Op.SIGMOID)
def sigmoid_as_exp(node: Compute, x: str):
    """sigmoid(x) -> 1 / (1 + exp(-x)), as torch computes it."""
    return _chain(node, [(Op.NEG, (x,)), (Op.EXP, (0,)), ("const", 1.0), (Op.ADD, (1, 2)),
                         (Op.TRUEDIV, (2, 3))])


def apply_rewrites(kernel: Kernel, rules: list[Rule]) -> Kernel:
    """Apply every rule to every Compute node (once; replacement nodes are not rewritten again)."""
    nodes: list[Node] = []
    changed = False
    for node in kernel.nodes:
        replacement = None
        if isinstance(node, Compute):
            for rule in rules:
                replacement = rule(node)
                if replacement:
                    break
        if replacement:
            nodes.extend(replacement)
            changed = True
        else:
            nodes.append(node)
    return dataclasses.replace(kernel, nodes=tuple(nodes)) if changed else kernel
