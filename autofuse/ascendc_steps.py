"""The step program of one AscendC planning mode: where every node of a kernel runs (once per core,
per unit, per tile, per loop point), which loads and stores travel together through which queue,
and which UB buffer holds every value (liveness-based reuse). Imports autofuse.ir, autofuse.plan
and autofuse.ascendc_program only; ascendc_plan.py chooses the layout and calls `build_mode`.

Values live in one of: a pool tile buffer (`pool`, fp32 or a narrow view), a slot of an input
queue tensor (`in`, fp32 loads read in place), a 32-byte scalar slot (`slot`, element 0), a C++
scalar (`expr`) or a literal. Vector values vary along the tile axis; everything else is a
scalar. Scalars are computed by count-1 vector ops on slots, and read into C++ scalars only when a
tile op takes them as its scalar operand (Adds/Muls/Maxs/Mins) or a Duplicate broadcasts them.
"""
from __future__ import annotations

import dataclasses

from .ascendc_program import (Group, Mode, Queue, Ref, Step, allocate, axis_deps, insert_frees,
                              limit_buffers, loop_spans, remap_ref, remap_step)
from .ir import (COMPARISONS, Cast, Compute, Constant, DType, IndexValue, Kernel, Load, Node, Op,
                 Reduce, Store, store_key)
from .plan import PlanError, schedule_passes

# binary ops with a tensor-scalar form (Adds, Muls, Maxs, Mins, CompareScalar; Sub via Adds/Muls)
MIXED_OPS = frozenset({Op.ADD, Op.MUL, Op.SUB, Op.MAXIMUM, Op.MINIMUM}) | COMPARISONS
# Compare/Select work on whole 256-byte repeats: their count is the tile count rounded up to 64
MASKED_OPS = COMPARISONS | {Op.WHERE}
NARROW = (DType.F16, DType.BF16)


def build_mode(kernel: Kernel, layout, name: str, caps) -> Mode:
    """Build the step program of mode `name` ('resident', 'stream' or 'unit')."""
    builder = _Builder(kernel, layout)
    passes = schedule_passes(kernel)
    if name == "resident":
        builder.resident(passes)
    elif name == "stream":
        builder.stream(passes)
    else:
        builder.units(passes)
    return builder.finish(name, caps)


class _Builder:
    """Collects steps for one mode; `have` tracks which representations exist in each scope."""

    def __init__(self, kernel: Kernel, layout):
        self.kernel, self.layout = kernel, layout
        self.deps = axis_deps(kernel)
        self.keys = {id(n): store_key(i, n) for i, n in enumerate(kernel.nodes)}
        self.tile = layout.tile.symbol
        self.alias = self._aliases()
        self.wants = self._wanted_forms()
        self.steps: list[Step] = []
        self.queues: list[Queue] = []
        self.queue_keys: dict[tuple, int] = {}
        self.groups: list[Group] = []
        self.home: dict[str, Ref] = {}
        self.have: list[set[tuple[str, str]]] = [set()]
        self.slot_of: dict[str, int] = {}
        self.out_ref: dict[str, Ref] = {}
        self.vregs = 0
        self.work = False
        self.banks = 0

    # ---------------------------------------------------------------- classification
    def _aliases(self) -> dict[str, str]:
        """Casts that need no instruction: to fp32 from fp32/fp16/bf16 (values live in fp32), and
        roundings whose only users are stores into a buffer of that dtype (the store rounds)."""
        users: dict[str, list[Node]] = {}
        for node in self.kernel.nodes:
            for operand in node.operands:
                users.setdefault(operand, []).append(node)
        alias = {}
        for node in self.kernel.nodes:
            if not isinstance(node, Cast):
                continue
            src = self.kernel.by_name[node.value].dtype
            uses = users.get(node.name, [])
            into_stores = bool(uses) and all(
                isinstance(u, Store) and self.kernel.buffer_map[u.buffer].dtype is node.dtype
                for u in uses)
            if (node.dtype is DType.F32 and src in (DType.F32, *NARROW)) or \
                    (node.dtype in NARROW and src.is_float and src is not DType.F64 and into_stores):
                alias[node.name] = alias.get(node.value, node.value)
        return alias

    def _wanted_forms(self) -> dict[str, set[str]]:
        """For every scalar, the representations its users read: 'expr' for tile ops and
        broadcasts, 'slot' for count-1 ops, reductions and scalar stores."""
        wants: dict[str, set[str]] = {}
        for i, node in enumerate(self.kernel.nodes):
            if node.name in self.alias and not isinstance(node, Store):
                continue
            vector = self.is_vector(store_key(i, node))
            for operand in node.operands:
                if self.is_vector(operand):
                    continue
                wants.setdefault(self.root(operand), set()).add(self._form_for(node, vector))
        return wants

    def _form_for(self, user: Node, vector: bool) -> str:
        if vector or (isinstance(user, Cast) and user.dtype is DType.F32):
            return "expr"
        if isinstance(user, Compute) and len(user.args) == 2 and user.op in MIXED_OPS:
            kinds = sorted(self.native(a) for a in user.args)
            return "any" if kinds == ["expr", "slot"] else "slot"
        return "slot"

    def materialise(self, name: str) -> None:
        """Right after a scalar is defined, make the representations its users need."""
        for form in sorted(self.wants.get(name, ())):
            if form == "slot":
                self.slot(name)
            elif form == "expr":
                self.expr(name)

    def root(self, name: str) -> str:
        return self.alias.get(name, name)

    def key(self, node: Node) -> str:
        return self.keys[id(node)]

    def is_vector(self, key: str) -> bool:
        return self.tile in self.deps[key]

    def native(self, name: str) -> str:
        """'expr' for values born as C++ scalars or literals, 'slot' for count-1 vector results."""
        node = self.kernel.by_name[self.root(name)]
        if isinstance(node, (Constant, IndexValue)):
            return "expr"
        if isinstance(node, Load):
            return "slot" if node.dtype in NARROW else "expr"
        if isinstance(node, Cast) and self.kernel.by_name[node.value].dtype is DType.F64:
            return "expr"
        return "slot"

    def is_const(self, key: str, node: Node) -> bool:
        return (not isinstance(node, (Store, Reduce)) and not self.deps[key]
                and self.kernel.passes[key] == 0)

    def is_hoisted(self, key: str, node: Node) -> bool:
        return (not isinstance(node, (Store, Reduce)) and self.deps[key] == {self.tile}
                and self.kernel.passes[key] == 0)

    # ---------------------------------------------------------------- value access
    def add(self, step: Step) -> None:
        self.steps.append(step)

    def new_pool(self, dtype: DType = DType.F32) -> Ref:
        self.vregs += 1
        return Ref("pool", self.vregs - 1, dtype=dtype)

    def slot_index(self, name: str) -> int:
        return self.slot_of.setdefault(name, len(self.slot_of))

    def has(self, name: str, form: str) -> bool:
        return (name, form) in self.have[-1]

    def mark(self, name: str, form: str) -> None:
        self.have[-1].add((name, form))

    def tensor(self, name: str) -> Ref:
        """The UB home of a vector value."""
        return self.home[self.root(name)]

    def slot(self, name: str) -> Ref:
        """A scalar as a one-element tensor, duplicating a C++ scalar into its slot if needed."""
        name = self.root(name)
        ref = Ref("slot", self.slot_index(name))
        if not self.has(name, "slot"):
            self.add(Step("to_slot", name, ref, (self.expr(name),), count="1"))
            self.mark(name, "slot")
        return ref

    def expr(self, name: str) -> Ref:
        """A scalar as a C++ value, reading element 0 of its slot if needed."""
        name = self.root(name)
        if isinstance(self.kernel.by_name[name], Constant):
            return Ref("literal", name=name)
        ref = Ref("expr", name=name)
        if not self.has(name, "expr"):
            self.add(Step("to_expr", name, ref, (Ref("slot", self.slot_index(name)),), count="1"))
            self.mark(name, "expr")
        return ref

    def broadcast(self, name: str) -> Ref:
        """A scalar duplicated over the current tile (a temporary pool buffer)."""
        dst = self.new_pool()
        self.add(Step("broadcast", name, dst, (self.expr(name),)))
        return dst

    # ---------------------------------------------------------------- nodes
    def emit(self, key: str, node: Node) -> None:
        if isinstance(node, Store):
            return self.emit_store(key, node)
        if node.name in self.alias or (isinstance(node, Load) and self.is_vector(key)):
            return None                       # aliases share a home; vector loads came in a group
        if isinstance(node, Constant):
            self.mark(node.name, "expr")
            return self.materialise(node.name)
        if isinstance(node, Load):
            return self.emit_scalar_load(node)
        if isinstance(node, IndexValue):
            if not node.dtype.is_float:
                raise PlanError(f"{node.name}: integer index values have no AscendC form here")
            self.add(Step("index", node.name, Ref("expr", name=node.name), count="1"))
            self.mark(node.name, "expr")
            return self.materialise(node.name)
        if isinstance(node, Compute):
            return self.emit_compute(key, node)
        if isinstance(node, Cast):
            return self.emit_cast(key, node)
        raise PlanError(f"{node.name}: {type(node).__name__} outside a reduction pass")

    def emit_scalar_load(self, node: Load) -> None:
        if node.dtype in NARROW:
            dst = Ref("slot", self.slot_index(node.name))
            narrow = Ref("slot", self.slot_index(node.name + "_raw"), dtype=node.dtype)
            self.add(Step("scalar_load", node.name, dst, temps=(narrow,), count="1"))
            self.mark(node.name, "slot")
            return self.materialise(node.name)
        self.add(Step("scalar_load", node.name, Ref("expr", name=node.name, dtype=node.dtype),
                      count="1"))
        self.mark(node.name, "expr")
        self.materialise(node.name)

    def emit_compute(self, key: str, node: Compute) -> None:
        operands = node.args
        if (node.op in COMPARISONS and not self.is_vector(key)) or \
                (node.op is Op.WHERE and not self.is_vector(operands[0])):
            raise PlanError(f"{node.name}: {node.op.value} of scalars (Compare/Select work on tiles)")
        if self.is_vector(key):
            vectors = [self.is_vector(a) for a in operands]
            if len(operands) == 2 and node.op in MIXED_OPS and sum(vectors) == 1:
                args = tuple(self.tensor(a) if v else self.expr(a) for a, v in zip(operands, vectors))
            else:
                args = tuple(self.tensor(a) if v else self.broadcast(a)
                             for a, v in zip(operands, vectors))
            mask = DType.U8 if node.op in COMPARISONS else DType.F32     # Compare writes bits
            dst = self.home[node.name] = self.new_pool(mask)
            return self.add(Step("op", node.name, dst, args, count="n64" if node.op in MASKED_OPS else "n"))
        kinds = [self.native(a) for a in operands]
        if len(operands) == 2 and node.op in MIXED_OPS and sorted(kinds) == ["expr", "slot"]:
            args = tuple(self.slot(a) if k == "slot" else self.expr(a) for a, k in zip(operands, kinds))
        else:
            args = tuple(self.slot(a) for a in operands)
        self.add(Step("op", node.name, Ref("slot", self.slot_index(node.name)), args, count="1"))
        self.mark(node.name, "slot")
        self.materialise(node.name)

    def emit_cast(self, key: str, node: Cast) -> None:
        src = self.kernel.by_name[node.value].dtype
        if node.dtype is DType.F32 and src is DType.F64 and not self.is_vector(key):
            self.add(Step("cast_expr", node.name, Ref("expr", name=node.name),
                          (self.expr(node.value),), count="1"))
            self.mark(node.name, "expr")
            return self.materialise(node.name)
        if node.dtype not in NARROW or not src.is_float or src is DType.F64:
            raise PlanError(f"{node.name}: cast {src.value} -> {node.dtype.value} has no AscendC form here")
        if self.is_vector(key):
            narrow = self.new_pool(node.dtype)
            dst = self.home[node.name] = self.new_pool()
            return self.add(Step("round", node.name, dst, (self.tensor(node.value),), (narrow,)))
        narrow = Ref("slot", self.slot_index(node.name + "_raw"), dtype=node.dtype)
        self.add(Step("round", node.name, Ref("slot", self.slot_index(node.name)),
                      (self.slot(node.value),), (narrow,), count="1"))
        self.mark(node.name, "slot")
        self.materialise(node.name)

    def emit_store(self, key: str, node: Store) -> None:
        if self.is_vector(key):
            src = self.tensor(node.value) if self.is_vector(node.value) else self.broadcast(node.value)
            return self.add(Step("store", key, self.out_ref[key], (src,)))
        if self.layout.kind != "inner" and self.layout.tile.size != 1:
            raise PlanError(f"{key}: a store that does not vary along the tile axis {self.tile}")
        dtype = self.kernel.buffer_map[node.buffer].dtype
        queue = self.queue("VECOUT", dtype, "scalar", 1, scalar=True)
        self.add(Step("store_scalar", key, args=(self.slot(node.value),), count="1", group=queue))

    # ---------------------------------------------------------------- sections and groups
    def queue(self, position: str, dtype: DType, level: str, slots: int, buffers: int = 2,
              scalar: bool = False) -> int:
        qkey = (position, dtype, level)
        if qkey not in self.queue_keys:
            self.queue_keys[qkey] = len(self.queues)
            self.queues.append(Queue(position, dtype, slots, buffers, scalar))
        index = self.queue_keys[qkey]
        old = self.queues[index]
        self.queues[index] = dataclasses.replace(old, slots=max(old.slots, slots))
        return index

    def section(self, items, level: str, hoisted: bool = False) -> None:
        """Emit (key, node) items of one straight-line scope: vector loads first (one group per
        dtype), then the nodes, then the vector stores (one group per dtype). Items may also be
        ('reduce', Reduce) and ('acc', Reduce, acc Ref)."""
        nodes = [item for item in items if item[0] not in ("reduce", "acc")]
        loads = [n for k, n in nodes if isinstance(n, Load) and self.is_vector(k)]
        stores = [(k, n) for k, n in nodes if isinstance(n, Store) and self.is_vector(k)]
        for dtype in _dtypes(n.dtype for n in loads):
            self.copy_in([n for n in loads if n.dtype is dtype], level, hoisted)
        out_groups = [self.plan_out([(k, n) for k, n in stores if self.store_dtype(n) is dtype], level)
                      for dtype in _dtypes(self.store_dtype(n) for _, n in stores)]
        for item in items:
            if item[0] == "reduce":
                self.emit_reduce(item[1])
            elif item[0] == "acc":
                self.add(Step("acc_add", item[1].name, item[2], (item[2], self.value_of(item[1])),
                              count="1" if item[2].kind == "slot" else "n"))
            else:
                self.emit(*item)
        for group in out_groups:
            self.add(Step("copy_out", group=group))

    def store_dtype(self, node: Store) -> DType:
        return self.kernel.buffer_map[node.buffer].dtype

    def copy_in(self, loads: list[Load], level: str, hoisted: bool) -> None:
        dtype = loads[0].dtype
        if dtype not in (DType.F32, *NARROW) or any(n.mask for n in loads):
            raise PlanError(f"{loads[0].name}: {dtype.value} or masked tile loads have no AscendC form")
        queue = self.queue("VECIN", dtype, level, len(loads), 1 if hoisted else 2)
        group = len(self.groups)
        targets = []
        for pos, load in enumerate(loads):
            target = Ref("in", group, pos, dtype) if dtype is DType.F32 else self.new_pool()
            self.home[load.name] = target
            targets.append(target)
        self.groups.append(Group(queue, tuple(n.name for n in loads), tuple(targets), hoisted))
        self.add(Step("copy_in", group=group))

    def plan_out(self, stores, level: str) -> int:
        dtype = self.store_dtype(stores[0][1])
        queue = self.queue("VECOUT", dtype, level, len(stores))
        group = len(self.groups)
        targets = tuple(Ref("out", group, pos, dtype) for pos in range(len(stores)))
        self.out_ref.update({k: t for (k, _), t in zip(stores, targets)})
        self.groups.append(Group(queue, tuple(k for k, _ in stores), targets))
        return group

    def value_of(self, red: Reduce) -> Ref:
        return self.tensor(red.value) if self.is_vector(red.value) else self.slot(red.value)

    def emit_reduce(self, red: Reduce) -> None:
        """Reduce a whole resident row straight into the result's slot."""
        self.work = True
        dst = Ref("slot", self.slot_index(red.name))
        self.add(Step("reduce", red.name, dst, (self.value_of(red),)))
        self.mark(red.name, "slot")
        self.materialise(red.name)

    def begin(self, kind: str) -> None:
        self.add(Step(kind))
        self.have.append(set(self.have[-1]))

    def end(self) -> None:
        self.add(Step("end"))
        self.have.pop()

    def items(self, nodes, skip=lambda key, node: False):
        return [(self.key(n), n) for n in nodes if not skip(self.key(n), n)]

    # ---------------------------------------------------------------- the three programs
    def prologue(self, passes, hoist: bool) -> None:
        every = [n for p in passes for n in (*p.before, *p.inside)]
        unique = list({id(n): n for n in every}.values())
        order = {id(n): i for i, n in enumerate(self.kernel.nodes)}
        unique.sort(key=lambda n: order[id(n)])
        self.section(self.items(unique, lambda k, n: not self.is_const(k, n)), "const")
        if hoist:
            self.section(self.items(unique, lambda k, n: not self.is_hoisted(k, n)), "hoist", True)
        self.begin("units")

    def resident(self, passes) -> None:
        """Inner kind, the whole row is one tile: every pass works on the same UB tensors."""
        self.prologue(passes, hoist=True)
        items, seen = [], set()
        for p in passes:
            for key, node in self.items((*p.before, *p.inside)):
                if key in seen or self.is_const(key, node) or self.is_hoisted(key, node):
                    continue
                seen.add(key)
                items.append((key, node))
            items += [("reduce", red) for red in p.reductions]
        self.section(items, "tile")

    def stream(self, passes) -> None:
        """Inner kind, rows longer than UB: one walk over the row's tiles per pass."""
        self.prologue(passes, hoist=False)
        for p in passes:
            self.section(self.items(p.before, self.is_const), f"unit{p.index}")
            if not (p.inside or p.reductions):
                continue
            accs = [(red, self.new_pool()) for red in p.reductions]
            for red, acc in accs:
                self.add(Step("acc_init", red.name, acc, count="tl"))
            self.begin("tiles")
            self.section(self.items(p.inside) + [("acc", red, acc) for red, acc in accs], "tile")
            self.end()
            for red, acc in accs:
                self.work = True
                self.add(Step("reduce", red.name, Ref("slot", self.slot_index(red.name)), (acc,),
                              count="red"))
                self.mark(red.name, "slot")
                self.materialise(red.name)

    def is_shared(self, key: str, node: Node) -> bool:
        """Computed once per unit, before the loop over the inner rows (it does not vary along them)."""
        inner = {a.symbol for a in self.layout.inner}
        return (bool(inner) and not isinstance(node, (Store, Reduce)) and not self.deps[key] & inner
                and self.kernel.passes[key] == 0 and key not in self.kernel.inner
                and not self.is_const(key, node))

    def units(self, passes) -> None:
        """Pointwise and outer kinds: a unit is one tile of one row (of the distributed row axes;
        inner rows are looped inside it); reductions walk the loop axes accumulating whole tiles
        (or scalars)."""
        self.prologue(passes, hoist=False)
        if self.can_bank(passes):
            return self.banked(passes)
        skip = lambda key, node: self.is_const(key, node) or self.is_shared(key, node)  # noqa: E731
        if self.layout.inner:
            every = [n for p in passes for n in p.before]
            self.section(self.items(every, lambda k, n: not self.is_shared(k, n)), "shared")
            self.begin("rows")
        for p in passes:
            self.section(self.items(p.before, skip), f"unit{p.index}")
            if not (p.inside or p.reductions):
                continue
            accs = []
            for red in p.reductions:
                vector = self.is_vector(red.value)
                acc = self.new_pool() if vector else Ref("slot", self.slot_index(red.name))
                self.add(Step("acc_init", red.name, acc, count="n" if vector else "1"))
                accs.append((red, acc))
            self.begin("axes")
            self.section(self.items(p.inside) + [("acc", red, acc) for red, acc in accs], f"loop{p.index}")
            self.end()
            for red, acc in accs:
                self.home[red.name] = acc
                if acc.kind == "slot":
                    self.mark(red.name, "slot")
                    self.materialise(red.name)
        if self.layout.inner:
            self.end()

    def varies_by_row(self, key: str) -> bool:
        return bool(self.deps[key] & {a.symbol for a in self.layout.inner})

    def can_bank(self, passes) -> bool:
        """Outer kind with inner rows, one reduction pass over vector values, and a tile load in
        it shared by the inner rows (hc_post's residual[j] serves every output row k)."""
        looped = [p for p in passes if p.inside or p.reductions]
        if not self.layout.inner or self.layout.kind != "outer" or len(looped) != 1 or looped[0].index:
            return False
        first = passes[0]
        return (all(self.is_vector(r.value) for r in first.reductions) and any(
            isinstance(n, Load) and self.is_vector(self.key(n)) and not self.varies_by_row(self.key(n))
            for n in first.inside))

    def banked(self, passes) -> None:
        """Walk the loop axes once per unit: loads shared by the inner rows come in once per loop
        point, and each inner row accumulates into its own tile of an accumulator bank."""
        first = passes[0]
        skip = lambda key, node: self.is_const(key, node) or self.is_shared(key, node)  # noqa: E731
        self.section(self.items([n for p in passes for n in p.before],
                                lambda k, n: not self.is_shared(k, n)), "shared")
        banks = [(red, Ref("bank", i)) for i, red in enumerate(first.reductions)]
        self.banks = len(banks)
        self.begin("rows")
        for red, bank in banks:
            self.add(Step("acc_init", red.name, bank))
        self.end()
        self.begin("axes")
        self.section(self.items(first.inside, lambda k, n: self.varies_by_row(k)), "loop0")
        self.begin("rows")
        self.section(self.items(first.inside, lambda k, n: not self.varies_by_row(k))
                     + [("acc", red, bank) for red, bank in banks], "row0")
        self.end()
        self.end()
        for red, bank in banks:
            self.home[red.name] = bank
        self.begin("rows")
        for p in passes:
            self.section(self.items(p.before, skip), f"unit{p.index}")
        self.end()

    # ---------------------------------------------------------------- finishing
    def finish(self, name: str, caps) -> Mode:
        self.end()                                   # closes "units"
        steps = insert_frees(self.steps, len(self.groups))
        mapping, pool = allocate(steps, self.groups)
        steps = [remap_step(s, mapping) for s in steps]
        groups = tuple(dataclasses.replace(g, targets=tuple(remap_ref(t, mapping) for t in g.targets))
                       for g in self.groups)
        begin = next(i for i, s in enumerate(steps) if s.kind == "units")
        end = next(e for b, e in loop_spans(steps) if b == begin)
        queues = limit_buffers(self.queues, caps.max_queue_buffers)
        return Mode(name, queues, groups, tuple(steps[:begin]), tuple(steps[begin + 1:end]),
                    tuple(steps[end + 1:]), pool, len(self.slot_of), self.work, self.banks)


def _dtypes(dtypes) -> list[DType]:
    return list(dict.fromkeys(dtypes))
