"""Our Inductor scheduling: fusion decisions, and codegen of each fused group through capture ->
plan -> render -> build, with a per-SchedulerNode fallback to stock codegen.

Imports torch (Inductor), capture, targets and config."""
from __future__ import annotations

import logging
import re

import sympy

from torch._inductor.scheduler import BaseScheduling, FusedSchedulerNode
from torch._inductor.virtualized import V

from . import config, targets
from .autofuse.plan import PlanError
from .autofuse.text import format_kernel
from .cache import BuildError
from .capture import CaptureError, capture_group, group_ranges, node_sizes, replay_indices
from .codegen.base import UnsupportedOp
from .counters import bump, kernels_key

log = logging.getLogger("inductor_npu_ext")
EXPECTED = (CaptureError, PlanError, UnsupportedOp, BuildError)


class FallbackError(RuntimeError):
    """Raised instead of falling back when INDUCTOR_NPU_EXT_STRICT=1."""


def resolve_target(device: str) -> str | None:
    """The target serving `device` now, or None (stock Inductor)."""
    choice = config.target
    if choice == "off":
        return None
    if device == "cpu":
        if choice == "auto":
            return "cpp"
        if choice in ("cpp", "ascendc-sim", "triton"):
            return choice
        return None
    if device == "cuda":
        return "triton" if choice in ("auto", "triton") else None
    if device == "npu":
        return "ascendc" if choice in ("auto", "ascendc") else None
    return None


def group_shapes_ok(snodes) -> bool:
    """A group is ours to fuse if its nodes fit one loop nest: reductions over one (P, R), and
    pointwise nodes over P + R or P, possibly with loops merged (the shapes capture replays)."""
    sizes = [node_sizes(sn) for sn in snodes]
    if len({s for s in sizes if s[1]}) > 1:
        return False
    prange, rrange = group_ranges(snodes)
    xs = [sympy.Symbol(f"x{i}") for i in range(len(prange))]
    rs = [sympy.Symbol(f"r{i}") for i in range(len(rrange))]
    return all(replay_indices(s, prange, rrange, xs, rs) is not None for s in sizes)


class NpuExtScheduling(BaseScheduling):
    """Owns fusion and codegen for one device of one graph; delegates the rest to `stock`."""

    stock_class = None  # set per device at registration (CppScheduling for cpu)

    def __init__(self, scheduler):
        super().__init__(scheduler)
        self.stock = self.stock_class(scheduler)
        self.target = resolve_target(self.device_type())

    @classmethod
    def device_type(cls) -> str:
        return "cpu"

    # ---------------------------------------------------------------------------------- fusion
    def can_fuse_vertical(self, node1, node2) -> bool:
        if self.target is None or node1.is_template() or node2.is_template():
            return self.stock.can_fuse_vertical(node1, node2)
        return group_shapes_ok(node1.get_nodes() + node2.get_nodes())

    def can_fuse_horizontal(self, node1, node2) -> bool:
        if self.target is None or node1.is_template() or node2.is_template():
            return self.stock.can_fuse_horizontal(node1, node2)
        return group_shapes_ok(node1.get_nodes() + node2.get_nodes())

    def fuse(self, node1, node2):
        if self.target is None or node1.is_template() or node2.is_template():
            return self.stock.fuse(node1, node2)
        return FusedSchedulerNode.fuse(node1, node2)

    # --------------------------------------------------------------------------------- codegen
    def codegen_node(self, node) -> None:
        if self.target is None:
            return self.stock.codegen_node(node)
        snodes = node.get_nodes()
        wrapper = V.graph.wrapper_code
        name = f"npu_ext_{self.target.replace('-', '_')}_{wrapper.next_kernel_suffix()}"
        kernel = None
        try:
            if V.graph.cpp_wrapper:
                raise UnsupportedOp(self.target, "cpp_wrapper mode")
            target = targets.get(self.target)
            removable = self._kernel_local_buffers(snodes)
            kernel = capture_group(name, snodes, removable)
            source = target.render(kernel)
            target.load(source.text, source.arg_types, source.entry)   # build now: failures fall back
        except EXPECTED as e:
            return self._fallback(node, e, kernel)
        log.debug("inductor_npu_ext: %s\n%s", name, format_kernel(kernel))
        self.stock.flush()
        V.graph.removed_buffers.update(removable)
        for sn in snodes:
            sn.mark_run()
        wrapper.add_import_once("from inductor_npu_ext.runtime import load_kernel as npu_ext_load_kernel")
        wrapper.define_kernel(name, _loader_expr(self.target, source), gpu=False)
        wrapper.generate_kernel_call(name, list(source.arg_names), triton=False,
                                     arg_types=list(source.arg_types))
        bump(kernels_key(self.target))
        self.free_buffers_in_scheduler()

    def _kernel_local_buffers(self, snodes) -> set[str]:
        names = {sn.get_name() for sn in snodes}
        written = {buf.get_name() for sn in snodes for buf in sn.get_outputs()}
        return {b for b in written
                if self.scheduler.can_buffer_be_removed_through_fusion(b, names)
                and b not in V.graph.get_output_names()}

    def _fallback(self, node, error: Exception, kernel) -> None:
        reason = _reason(error)
        detail = f"\n{format_kernel(kernel)}" if kernel is not None else ""
        if config.strict:
            raise FallbackError(f"inductor_npu_ext[{self.target}]: {error}{detail}") from error
        bump("fallbacks")
        bump(f"fallback:{reason}")
        log.warning("inductor_npu_ext[%s]: falling back to stock Inductor for %s: %s%s",
                    self.target, ", ".join(sn.get_name() for sn in node.get_nodes()), error, detail)
        for sn in node.get_nodes():      # per original node: intermediates are realised
            self.stock.codegen_node(sn)


def _reason(error: Exception) -> str:
    """Short counter key: compile_error, unsupported_<op>, or the first words of the message
    (e.g. `indirect_indexing`)."""
    if isinstance(error, BuildError):
        return "compile_error"
    if isinstance(error, UnsupportedOp):
        return "unsupported_" + str(getattr(error.op, "name", error.op)).lower().replace(" ", "_")
    head = str(error).split(" is not supported")[0].splitlines()[0]
    return re.sub(r"\W+", "_", head).strip("_")[:60] or type(error).__name__


def _loader_expr(target: str, source) -> str:
    return (f"npu_ext_load_kernel({target!r}, r'''{source.text}''', "
            f"{tuple(source.arg_types)!r}, {source.entry!r})")


_FORWARDED = ["get_backend_features", "can_fuse_multi_outputs_template", "group_fn",
              "codegen_template", "generate_kernel_code_from_nodes", "codegen_mix_order_reduction",
              "codegen_nested_reduction", "codegen_sync", "ready_to_flush", "flush",
              "benchmark_fused_nodes", "benchmark_codegened_module", "get_fusion_pair_priority",
              "benchmark_combo_kernel", "codegen_comment", "codegen_combo_kernel"]


def _forward(name):
    def method(self, *args, **kwargs):
        return getattr(self.stock, name)(*args, **kwargs)
    method.__name__ = name
    return method


for _name in _FORWARDED:
    setattr(NpuExtScheduling, _name, _forward(_name))
