"""Stable text form of a Kernel, for goldens, error messages and TORCH_LOGS. Imports autofuse.ir only."""
from __future__ import annotations

from .ir import Cast, Compute, Constant, IndexValue, Kernel, Load, Node, Reduce, Store


def format_node(node: Node) -> str:
    """One line per node, e.g. `v3: f32 = mul(v1, v2)`."""
    if isinstance(node, Store):
        return f"store {node.buffer}[{node.index}] = {node.value}"
    head = f"{node.name}: {node.dtype.value} = "
    if isinstance(node, Load):
        mask = f" if {node.mask} else {node.other!r}" if node.mask else ""
        return head + f"load {node.buffer}[{node.index}]{mask}"
    if isinstance(node, Constant):
        return head + f"constant {node.value!r}"
    if isinstance(node, IndexValue):
        return head + f"index {node.expr}"
    if isinstance(node, Compute):
        return head + f"{node.op.value}({', '.join(node.args)})"
    if isinstance(node, Cast):
        return head + f"cast({node.value})"
    if isinstance(node, Reduce):
        return head + f"reduce_{node.op.value}({node.value})"
    raise TypeError(type(node).__name__)


def format_kernel(kernel: Kernel) -> str:
    """The whole kernel: header with axes and buffers, then one line per node."""
    axes = ", ".join(f"{a.symbol}<{a.size}" for a in kernel.axes)
    raxes = ", ".join(f"{a.symbol}<{a.size}" for a in kernel.reduce_axes)
    bufs = ", ".join(f"{b.role} {b.name}: {b.dtype.value}" for b in kernel.buffers)
    lines = [f"kernel {kernel.name}({bufs}; sizes {', '.join(map(str, kernel.sizes)) or '-'})",
             f"  axes [{axes}] reduce [{raxes}]"]
    lines += ["  " + format_node(n) for n in kernel.nodes]
    return "\n".join(lines)
