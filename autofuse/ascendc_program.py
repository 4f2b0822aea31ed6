"""The step program of an AscendC kernel as data: value homes (Ref), steps, queues, load/store
groups and a mode (one complete per-core program); the per-node axis dependencies; and the
liveness analysis that frees queue tensors and assigns pool buffers. Imports autofuse.ir and
autofuse.plan only; ascendc_steps.py builds programs, codegen/ascendc.py prints them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .ir import DType, IndexValue, Kernel, Reduce, store_key
from .plan import PlanError

BEGIN = ("units", "tiles", "axes", "rows")       # steps that open a loop closed by "end"


@dataclass(frozen=True)
class Ref:
    """Where a value lives. kind: pool | in | out | slot | expr | literal | bank; index: pool
    buffer, scalar slot, group number or accumulator bank (one tile per inner row); pos: position
    inside a group tensor; dtype: element type of the view; name: the node of an expr/literal."""
    kind: str
    index: int = 0
    pos: int = 0
    dtype: DType = DType.F32
    name: str = ""


@dataclass(frozen=True)
class Step:
    """One statement group of the generated program (see codegen/ascendc.py for the text).
    count: 'n' (elements of the current tile), 'n64' (n rounded up to whole 256-byte repeats, for
    Compare/Select), '1' (a scalar), 'tl' (a whole tile buffer) or 'red' (the finished row of a
    streamed reduction)."""
    kind: str
    node: str = ""
    dst: Ref | None = None
    args: tuple[Ref, ...] = ()
    temps: tuple[Ref, ...] = ()
    count: str = "n"
    group: int = -1


@dataclass(frozen=True)
class Queue:
    """A TQue: position VECIN | VECOUT, element dtype, tiles per tensor (`slots`), buffer count;
    `scalar` queues hold one 32-byte block per slot instead of a tile."""
    position: str
    dtype: DType
    slots: int
    buffers: int
    scalar: bool = False


@dataclass(frozen=True)
class Group:
    """Loads (or stores) moved together through one tensor of `queue`; `members` are Load names or
    store keys, `targets` where each lands; `hoisted` groups load the whole row once per core."""
    queue: int
    members: tuple[str, ...]
    targets: tuple[Ref, ...]
    hoisted: bool = False


@dataclass(frozen=True)
class Mode:
    """A complete per-core program: `prologue` runs once per core, `body` once per work unit,
    `epilogue` once after the last unit (it frees tensors held across units)."""
    name: str
    queues: tuple[Queue, ...]
    groups: tuple[Group, ...]
    prologue: tuple[Step, ...]
    body: tuple[Step, ...]
    epilogue: tuple[Step, ...]
    pool: int                      # fp32 tile buffers
    slots: int                     # 32-byte scalar slots
    work: bool                     # a ReduceSum/Max/Min scratch buffer is needed
    banks: int = 0                 # accumulator banks: one fp32 tile per inner row each

    @property
    def per_elem(self) -> int:
        """UB bytes per element of tile length (every buffer x its buffer count)."""
        queues = sum(q.buffers * q.slots * q.dtype.itemsize for q in self.queues if not q.scalar)
        return max(1, 4 * self.pool + queues + (1 if self.work else 0))

    @property
    def fixed(self) -> int:
        """UB bytes independent of the tile length."""
        scalar_queues = sum(q.buffers * 32 * q.slots for q in self.queues if q.scalar)
        return 32 * max(1, self.slots) + scalar_queues + (32 if self.work else 0)

    def ub_bytes(self, tile_len: int, inner_rows: int = 1) -> int:
        return (self.per_elem + 4 * self.banks * inner_rows) * tile_len + self.fixed


def axis_deps(kernel: Kernel) -> dict[str, frozenset]:
    """Axis symbols each node's value (or store) varies along; a Reduce drops the reduction axes."""
    symbols = set(kernel.axis_symbols) | set(kernel.reduce_symbols)
    reduced = set(kernel.reduce_symbols)
    deps: dict[str, frozenset] = {}
    for i, node in enumerate(kernel.nodes):
        index = getattr(node, "index", None) if not isinstance(node, IndexValue) else node.expr
        own = set(index.free_symbols) & symbols if index is not None else set()
        found = own.union(*(deps[o] for o in node.operands))
        deps[store_key(i, node)] = frozenset(found - reduced if isinstance(node, Reduce) else found)
    return deps


def limit_buffers(queues: list[Queue], limit: int) -> tuple[Queue, ...]:
    """At most `limit` queue buffers per position: drop double buffering first, then give up."""
    result = list(queues)
    for position in ("VECIN", "VECOUT"):
        mine = [i for i, q in enumerate(result) if q.position == position]
        if sum(result[i].buffers for i in mine) > limit:
            for i in mine:
                result[i] = dataclasses.replace(result[i], buffers=1)
        if len(mine) > limit:
            raise PlanError(f"{len(mine)} {position} queues exceed the {limit} buffers of a position")
    return tuple(result)


# ---------------------------------------------------------------------------- liveness
def _refs(step: Step):
    return ([step.dst] if step.dst else []) + list(step.args) + list(step.temps)


def loop_spans(steps: list[Step]) -> list[tuple[int, int]]:
    spans, stack = [], []
    for i, step in enumerate(steps):
        if step.kind in BEGIN:
            stack.append(i)
        elif step.kind == "end":
            spans.append((stack.pop(), i))
    return spans


def _extend(spans, define: int, use: int) -> int:
    """A use inside a loop that does not contain the definition keeps the value to the loop's end."""
    last = use
    for begin, end in spans:
        if begin < use < end and not begin < define < end:
            last = max(last, end)
    return last


def insert_frees(steps: list[Step], ngroups: int) -> list[Step]:
    """Free each input group's queue tensor after the last read of an fp32 load it holds."""
    spans = loop_spans(steps)
    born: dict[int, int] = {}
    where: dict[int, int] = {}
    for i, step in enumerate(steps):
        if step.kind == "copy_in":
            born[step.group] = where[step.group] = i
        for ref in _refs(step):
            if ref.kind == "in":
                where[ref.index] = max(where[ref.index], _extend(spans, born[ref.index], i))
    result = list(steps)
    for group, index in sorted(where.items(), key=lambda item: -item[1]):
        result.insert(index + 1, Step("free_in", group=group))
    return result


def allocate(steps: list[Step], groups: list[Group]) -> tuple[dict[int, int], int]:
    """Linear-scan assignment of pool buffers to virtual registers; returns (vreg -> buffer, count).
    Operands dying at a step may share the result's buffer (in-place ops are legal); temporaries
    never do (a narrow->wide Cast must not overlap)."""
    spans = loop_spans(steps)
    define, last = {}, {}
    for i, step in enumerate(steps):
        born = [t for t in (groups[step.group].targets if step.kind == "copy_in" else ())]
        for ref in born + ([step.dst] if step.dst else []) + list(step.temps):
            if ref.kind == "pool" and ref.index not in define:
                define[ref.index], last[ref.index] = i, i
        uses = list(step.args) + ([step.dst] if step.kind == "acc_add" else [])
        for ref in uses:
            if ref.kind == "pool":
                last[ref.index] = max(last[ref.index], _extend(spans, define[ref.index], i))
    mapping, free, count = {}, [], 0

    def take(vreg):
        nonlocal count
        if free:
            free.sort()
            mapping[vreg] = free.pop(0)
        else:
            mapping[vreg], count = count, count + 1

    for i, step in enumerate(steps):
        born = [v for v, d in define.items() if d == i]
        temps = {t.index for t in step.temps if t.kind == "pool"}
        for vreg in sorted(temps & set(born)):
            take(vreg)
        free += [mapping[v] for v, e in last.items() if e == i and define[v] < i]
        for vreg in born:
            if vreg not in temps:
                take(vreg)
        free += [mapping[v] for v in born if last[v] == i]
    return mapping, count


def remap_ref(ref: Ref, mapping: dict[int, int]) -> Ref:
    return dataclasses.replace(ref, index=mapping[ref.index]) if ref.kind == "pool" else ref


def remap_step(step: Step, mapping: dict[int, int]) -> Step:
    return dataclasses.replace(
        step, dst=remap_ref(step.dst, mapping) if step.dst else None,
        args=tuple(remap_ref(r, mapping) for r in step.args),
        temps=tuple(remap_ref(r, mapping) for r in step.temps))
