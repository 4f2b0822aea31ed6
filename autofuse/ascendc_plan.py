"""Plan an autofuse Kernel for the AscendC vector cores: row layout across cores, tile length from
the UB budget, and the step program each core runs (with UB buffer assignment). Imports
autofuse.ir, autofuse.plan, autofuse.ascendc_program, autofuse.ascendc_steps and sympy only.

Layout. One axis is vectorised (the *tile axis*: every access that varies along it has stride 1).
`inner`: the kernel reduces over that axis (RMSNorm): a row is the reduction, rows are the outer
axes. `outer`: the reduction axes are not contiguous (hc_post's sum over j of residual[j, :]):
the tile axis is the last outer axis and the reduction is a scalar loop accumulating whole tiles.
`pointwise`: no reduction; the tile axis is the last axis. Work units (a row, or a (row, tile)
pair) are split across cores former/tail style. Tiling parameters are sympy expressions of the
size symbols (`AscendCPlan.tiling`), evaluated by generated host code at run time.

Modes. An inner kernel has a `resident` mode (the whole row is one tile kept in UB; loads shared by
all rows, like RMSNorm's weight, are loaded once per core) and a `stream` mode (one walk over the
row's tiles per reduction pass, for rows that do not fit); the host tiling picks one per shape.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import sympy

from .ascendc_program import Mode
from .ascendc_steps import build_mode
from .ir import (Axis, Cast, Compute, Constant, IndexValue, Kernel, Load, Node, Reduce, Store,
                 affine)
from .plan import PlanError, numel

# Vector (AIV) cores per SoC, from the CANN platform ini files (reference/ascendc_api.md section 6).
VECTOR_CORES = {"Ascend910B1": 48, "Ascend910B2": 48, "Ascend910B2C": 48, "Ascend910B3": 40,
                "Ascend910B4": 40, "Ascend910B4-1": 40, "Ascend910_9391": 48, "Ascend910_9381": 48,
                "Ascend910_9392": 48, "Ascend910_9382": 48, "Ascend910_9372": 48,
                "Ascend910_9362": 40}


@dataclass(frozen=True)
class AscendCCaps:
    """What an AscendC vector core offers the planner."""
    soc: str = "Ascend910B1"
    vector_cores: int = 48
    ub_bytes: int = 196608          # 192 KiB per AIV
    ub_budget: int = 188416         # plan against 184 KiB: Select's hidden scratch sits above
    block_bytes: int = 32           # UB operand alignment
    tile_align: int = 64            # elements: 256 B of fp32, one vector repeat
    min_split_tile: int = 1024      # split a row across cores only down to this many elements
    queue_buffers: int = 2          # double buffering
    max_queue_buffers: int = 8      # per TPosition on A2/A3


def caps_for(soc: str | None) -> AscendCCaps:
    """Caps of a SoC name (e.g. `Ascend910B3` -> 40 vector cores); unknown names get 48."""
    if not soc:
        return AscendCCaps()
    return AscendCCaps(soc=soc, vector_cores=VECTOR_CORES.get(soc, 48))


@dataclass(frozen=True)
class Layout:
    """kind: 'pointwise' | 'inner' | 'outer'; tile: the vectorised axis; rows: the axes flattened
    across cores; loops: the reduction axes walked by a scalar loop (outer kind only); inner: row
    axes looped inside a work unit, because some tile load does not depend on them (hc_post's x
    is shared by the H output rows of a token: it is loaded once per token and tile)."""
    kind: str
    tile: Axis
    rows: tuple[Axis, ...]
    loops: tuple[Axis, ...]
    inner: tuple[Axis, ...] = ()


@dataclass(frozen=True)
class AscendCPlan:
    """kernel: the cleaned kernel (CSE + dead code removed) the steps refer to; modes: the step
    programs, indexed by the tiling field `mode`; tiling: ordered (field, sympy expr) pairs over the
    size symbols and earlier fields."""
    kernel: Kernel
    layout: Layout
    modes: tuple[Mode, ...]
    tiling: tuple[tuple[str, sympy.Expr], ...]
    caps: AscendCCaps

    def evaluate(self, sizes: dict) -> dict[str, int]:
        """The tiling fields for concrete sizes ({symbol or name: int}), as the host code computes."""
        return evaluate_tiling(self.tiling, sizes)

    def ub_bytes(self, fields: dict[str, int]) -> int:
        """UB bytes the chosen mode allocates for these tiling fields."""
        return self.modes[fields["mode"]].ub_bytes(fields["tile_len"], fields["inner"])


TILING_FIELDS = ("length", "rows", "inner", "padded", "mode", "tile_cap", "tiles_min", "tile_len",
                 "tiles", "units", "block_dim", "base", "former", "ub_bytes")


def plan_ascendc(kernel: Kernel, caps: AscendCCaps = AscendCCaps()) -> AscendCPlan:
    """Plan a kernel for AscendC (raises PlanError for shapes this planner does not handle)."""
    _check_kernel(kernel)
    kernel = clean_kernel(kernel)
    layout = choose_layout(kernel)
    names = ("resident", "stream") if layout.kind == "inner" else ("unit",)
    modes = tuple(build_mode(kernel, layout, name, caps) for name in names)
    for mode in modes:
        if mode.ub_bytes(caps.tile_align) > caps.ub_budget:
            raise PlanError(f"{kernel.name}: even a {caps.tile_align}-element tile needs "
                            f"{mode.ub_bytes(caps.tile_align)} B of UB in {mode.name} mode")
    tiling = tiling_exprs(layout, modes, caps)
    decided = dict(tiling)["mode"]
    if len(modes) > 1 and decided.is_Integer:           # static shapes: keep the chosen mode only
        modes = (modes[int(decided)],)
        tiling = tiling_exprs(layout, modes, caps)
    return AscendCPlan(kernel, layout, modes, tiling, caps)


# ------------------------------------------------------------------------------- kernel cleanup
def _check_kernel(kernel: Kernel) -> None:
    """Operands defined before use, and something stored (the step builder relies on both)."""
    defined: set[str] = set()
    for node in kernel.nodes:
        missing = [o for o in node.operands if o not in defined]
        if missing:
            raise PlanError(f"{kernel.name}: {node.name} uses {missing[0]} before it is defined")
        if not isinstance(node, Store):
            defined.add(node.name)
    if not kernel.stores():
        raise PlanError(f"{kernel.name}: kernel stores nothing")


def clean_kernel(kernel: Kernel) -> Kernel:
    """Merge identical nodes (the same load twice, the same cast twice) and drop nodes no store
    needs, so every value is computed (and every tile loaded) once."""
    seen: dict[tuple, str] = {}
    rename: dict[str, str] = {}
    nodes: list[Node] = []
    for node in kernel.nodes:
        node = _renamed(node, rename)
        key = _node_key(node)
        if key is not None and key in seen:
            rename[node.name] = seen[key]
            continue
        if key is not None:
            seen[key] = node.name
        nodes.append(node)
    live: set[str] = set()
    for node in reversed(nodes):
        if isinstance(node, Store) or node.name in live:
            live.update(node.operands)
    kept = tuple(n for n in nodes if isinstance(n, Store) or n.name in live)
    return dataclasses.replace(kernel, nodes=kept)


def _renamed(node: Node, rename: dict[str, str]) -> Node:
    if isinstance(node, Compute):
        return dataclasses.replace(node, args=tuple(rename.get(a, a) for a in node.args))
    if isinstance(node, (Cast, Reduce, Store)):
        return dataclasses.replace(node, value=rename.get(node.value, node.value))
    if isinstance(node, Load) and node.mask:
        return dataclasses.replace(node, mask=rename.get(node.mask, node.mask))
    return node


def _node_key(node: Node) -> tuple | None:
    if isinstance(node, Load):
        return ("load", node.dtype, node.buffer, node.index, node.mask, repr(node.other))
    if isinstance(node, Constant):
        return ("constant", node.dtype, repr(node.value))
    if isinstance(node, IndexValue):
        return ("index", node.dtype, node.expr)
    if isinstance(node, Compute):
        return ("compute", node.dtype, node.op, node.args)
    if isinstance(node, Cast):
        return ("cast", node.dtype, node.value)
    if isinstance(node, Reduce):
        return ("reduce", node.dtype, node.op, node.value)
    return None


# ------------------------------------------------------------------------------------- layout
def choose_layout(kernel: Kernel) -> Layout:
    """Pick the tile axis and the row/loop axes; PlanError when no axis is contiguous."""
    if kernel.reduce_axes:
        if len(kernel.reduce_axes) == 1 and _contiguous(kernel, kernel.reduce_axes[0]):
            return Layout("inner", kernel.reduce_axes[0], kernel.axes, ())
        if kernel.axes and _contiguous(kernel, kernel.axes[-1]):
            return _with_inner_rows(kernel, Layout("outer", kernel.axes[-1], kernel.axes[:-1],
                                                   kernel.reduce_axes))
        raise PlanError(f"{kernel.name}: no reduction layout with a contiguous vector axis")
    if not kernel.axes:
        raise PlanError(f"{kernel.name}: a kernel without axes has nothing to vectorise")
    if not _contiguous(kernel, kernel.axes[-1]):
        raise PlanError(f"{kernel.name}: the last axis is not contiguous in every access")
    return _with_inner_rows(kernel, Layout("pointwise", kernel.axes[-1], kernel.axes[:-1], ()))


def _with_inner_rows(kernel: Kernel, layout: Layout) -> Layout:
    """Move the longest suffix of row axes that some per-unit tile load does not depend on into
    `inner` (looped inside a unit, so that load is done once for all of them)."""
    reduced = set(kernel.reduce_symbols)
    loads = [n for n in kernel.nodes if isinstance(n, Load)
             and layout.tile.symbol in n.index.free_symbols and not n.index.free_symbols & reduced]
    for cut in range(len(layout.rows)):
        suffix = {a.symbol for a in layout.rows[cut:]}
        if any(not (n.index.free_symbols & suffix) for n in loads):
            return dataclasses.replace(layout, rows=layout.rows[:cut], inner=layout.rows[cut:])
    return layout


def _contiguous(kernel: Kernel, axis: Axis) -> bool:
    """Every load/store varying along `axis` has stride 1 on it; no index value varies along it."""
    for node in kernel.nodes:
        if isinstance(node, IndexValue) and axis.symbol in node.expr.free_symbols:
            return False
        if isinstance(node, (Load, Store)) and axis.symbol in node.index.free_symbols:
            form = affine(node.index, (axis.symbol,))
            if form is None or form.stride(axis.symbol) != 1:
                return False
    return True


# ------------------------------------------------------------------------------------- tiling
def _ceil_div(a, b):
    from .ir import FloorDiv
    return FloorDiv(a + b - 1, b)


def _round_up(a, b):
    return _ceil_div(a, b) * b


def tiling_exprs(layout: Layout, modes: tuple[Mode, ...], caps: AscendCCaps):
    """Ordered (field, expr) pairs; each expr uses the size symbols and earlier fields (as symbols).
    length: tile-axis size; rows; inner: inner rows per unit; padded: length rounded up to
    tile_align; mode: index into modes;
    tile_cap: the longest tile allowed (UB budget; for tiled kinds also enough units for every
    core, but not below min_split_tile); tiles_min: tiles per row at that cap; tile_len: the cap
    balanced over those tiles (a multiple of tile_align); tiles: per row; units: rows (inner) or
    rows x tiles; block_dim, base, former: the first `former` cores take base + 1 units;
    ub_bytes: what the chosen mode allocates (the launcher refuses a shape over the budget, which
    only a huge symbolic inner-row count can cause)."""
    from .ir import FloorDiv, Mod
    f = {name: sympy.Symbol(name, integer=True, positive=True) for name in TILING_FIELDS}
    align, budget, cores = caps.tile_align, caps.ub_budget, caps.vector_cores
    out = [("length", layout.tile.size), ("rows", numel(layout.rows)),
           ("inner", numel(layout.inner)), ("padded", _round_up(f["length"], align))]

    def fit_max(mode: Mode):          # the longest tile this mode's buffers allow (>= align)
        per_elem = mode.per_elem + 4 * mode.banks * f["inner"]
        return sympy.Max(align, FloorDiv(FloorDiv(budget - mode.fixed, per_elem), align) * align)

    def ub(mode: Mode):
        return (mode.per_elem + 4 * mode.banks * f["inner"]) * f["tile_len"] + mode.fixed

    balanced = _round_up(_ceil_div(f["length"], f["tiles_min"]), align)
    if layout.kind == "inner":
        cap = sympy.Min(f["padded"], fit_max(modes[-1]))
        if [m.name for m in modes] == ["resident", "stream"]:
            mode = sympy.Min(1, FloorDiv(f["padded"] * modes[0].per_elem + modes[0].fixed, budget + 1))
            tile_len = f["padded"] * (1 - f["mode"]) + balanced * f["mode"]
        else:
            mode = sympy.Integer(0)
            tile_len = f["padded"] if modes[0].name == "resident" else balanced
        units = f["rows"]
    else:
        want = _ceil_div(sympy.Integer(cores), f["rows"])          # tiles per row to fill the cores
        split = _round_up(_ceil_div(f["length"], want), align)
        cap = sympy.Min(sympy.Max(split, sympy.Min(caps.min_split_tile, f["padded"])),
                        fit_max(modes[0]), f["padded"])
        mode, tile_len, units = sympy.Integer(0), balanced, f["rows"] * f["tiles"]
    out += [("mode", mode), ("tile_cap", cap), ("tiles_min", _ceil_div(f["length"], f["tile_cap"])),
            ("tile_len", tile_len), ("tiles", _ceil_div(f["length"], f["tile_len"])),
            ("units", units), ("block_dim", sympy.Max(1, sympy.Min(cores, f["units"]))),
            ("base", FloorDiv(f["units"], f["block_dim"])),
            ("former", Mod(f["units"], f["block_dim"])),
            ("ub_bytes", ub(modes[0]) if len(modes) == 1 else
             ub(modes[0]) * (1 - f["mode"]) + ub(modes[1]) * f["mode"])]
    return tuple(_fold(out))


def _fold(fields):
    """Substitute fields that are constants into later ones (static shapes fold to integers)."""
    known: dict[sympy.Symbol, sympy.Expr] = {}
    for name, expr in fields:
        expr = sympy.sympify(expr).subs(known) if known else sympy.sympify(expr)
        if expr.is_Integer:
            known[sympy.Symbol(name, integer=True, positive=True)] = expr
        yield name, expr


def evaluate_tiling(tiling, sizes: dict) -> dict[str, int]:
    """Evaluate the ordered tiling fields for concrete sizes ({symbol or name: int}), with the
    integer semantics of the generated host code."""
    env = {getattr(k, "name", k): int(v) for k, v in sizes.items()}
    for name, expr in tiling:
        try:
            env[name] = int(eval(_compiled(expr), {"__builtins__": {}, "max": max, "min": min}, env))
        except (NameError, TypeError) as e:
            raise PlanError(f"tiling field {name} = {expr} does not evaluate for {sizes}: {e}") from e
    return {name: env[name] for name, _ in tiling}


@functools.lru_cache(maxsize=1024)
def _compiled(expr):
    return compile(_python(expr), "<tiling>", "eval")


def _python(expr) -> str:
    """Python source of an integer tiling expression (FloorDiv -> //, Mod -> %, Max -> max)."""
    from .ir import FloorDiv, Mod
    e = sympy.sympify(expr)
    if e.is_Integer:
        return str(int(e))
    if e.is_Symbol:
        return e.name
    if isinstance(e, (FloorDiv, Mod)):
        return f"({_python(e.args[0])} {'//' if isinstance(e, FloorDiv) else '%'} {_python(e.args[1])})"
    if e.is_Add or e.is_Mul:
        return "(" + (" + " if e.is_Add else " * ").join(_python(a) for a in e.args) + ")"
    if e.is_Pow and e.exp.is_Integer and int(e.exp) > 0:
        return "(" + " * ".join([_python(e.base)] * int(e.exp)) + ")"
    if isinstance(e, (sympy.Max, sympy.Min)):
        return f"{'max' if isinstance(e, sympy.Max) else 'min'}({', '.join(_python(a) for a in e.args)})"
    raise PlanError(f"tiling expression {e} has no integer form")
