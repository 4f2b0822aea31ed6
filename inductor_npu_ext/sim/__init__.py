"""CPU emulation of the AscendC API subset for the ascendc-sim target.

The headers under ``include/`` let AscendC kernel source (written for CANN ``bisheng``) compile with
g++ and run on the CPU with the alignment, UB, queue, DMA and sync checks of
``reference/ascendc_api.md`` section 9. This module only locates them, rewrites ``<<<>>>``
launches and names the g++ flags; it imports the standard library only.

Build recipe for a generated source ``src`` holding the kernel and its ``extern "C"`` launcher::

    text = rewrite_launches(src)
    g++ <compile_flags()> -O2 -fPIC -shared kernel.cpp -o kernel.so

Control and error functions every such library exports (``extern "C"``, see
``include/ascendc_sim_runtime.h``): ``ascendc_sim_last_error() -> const char*`` (NULL when the
last launches succeeded), ``ascendc_sim_clear_error()``, ``ascendc_sim_set_throw(int)``,
``ascendc_sim_set_ub_limit(uint32_t) -> int``, ``ascendc_sim_set_sync_check(int)``,
``ascendc_sim_register_gm(const void*, uint64_t)``, ``ascendc_sim_clear_gm()``.
"""

from __future__ import annotations

import pathlib

__all__ = ["include_dir", "rewrite_launches", "compile_flags", "LAUNCH_MACRO"]

LAUNCH_MACRO = "ASCENDC_SIM_LAUNCH"

_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:")
_OPEN = {"(": ")", "[": "]", "{": "}"}


def include_dir() -> pathlib.Path:
    """Directory holding ``kernel_operator.h`` (pass it to g++ with ``-I``)."""
    return pathlib.Path(__file__).resolve().parent / "include"


def compile_flags() -> list[str]:
    """g++ flags needed to build AscendC source against the emulation (no -O, -fPIC or -shared).

    ``-fno-strict-aliasing``: UB is a byte arena viewed through every element type.
    ``-ffp-contract=off`` and ``-fno-fast-math``: one rounding per emulated instruction, no FMA.
    ``-fvisibility-inlines-hidden``: two kernel libraries in one process keep separate emulator state.
    """
    return [
        "-std=c++17",
        f"-I{include_dir()}",
        "-fno-strict-aliasing",
        "-ffp-contract=off",
        "-fno-fast-math",
        "-fvisibility-inlines-hidden",
    ]


def rewrite_launches(source: str) -> str:
    """Rewrite every ``kernel<<<a, b, c>>>(`` into ``ASCENDC_SIM_LAUNCH(kernel, a, b, c)(``.

    g++ cannot parse ``<<<>>>``. The kernel may be a qualified name or a template-id
    (``ns::k<float>``); one containing a comma is wrapped in parentheses so it stays one macro
    argument. Text in comments and string literals is left alone. Raises ValueError on a launch
    whose shape is not ``callee<<<three arguments>>>(``.
    """
    out: list[str] = []
    copied = 0
    for site in _launch_sites(source):
        if site < copied:
            continue
        callee_start = _callee_start(source, site)
        callee = source[callee_start:site].strip()
        config_end = _config_end(source, site + 3)
        config = _split_top_level(source[site + 3 : config_end - 3])
        paren = config_end
        while paren < len(source) and source[paren].isspace():
            paren += 1
        if (not callee or len(config) != 3 or not all(config) or paren >= len(source)
                or source[paren] != "("):
            raise ValueError(f"unsupported kernel launch at line {_line(source, site)}: "
                             f"{source[callee_start:paren + 1]!r}")
        if "," in callee:
            callee = f"({callee})"
        out.append(source[copied:callee_start])
        out.append(f"{LAUNCH_MACRO}({callee}, {', '.join(config)})(")
        copied = paren + 1
    out.append(source[copied:])
    return "".join(out)


def _line(source: str, index: int) -> int:
    return source.count("\n", 0, index) + 1


def _launch_sites(source: str) -> list[int]:
    """Indices of ``<<<`` outside comments, string and character literals."""
    sites: list[int] = []
    i, n = 0, len(source)
    while i < n:
        two = source[i : i + 2]
        if two == "//":
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif two == "/*":
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif source[i] in "\"'":
            i = _skip_literal(source, i)
        elif source.startswith("<<<", i):
            sites.append(i)
            i += 3
        else:
            i += 1
    return sites


def _skip_literal(source: str, i: int) -> int:
    quote = source[i]
    i += 1
    while i < len(source) and source[i] != quote:
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _callee_start(source: str, site: int) -> int:
    """Start of the callee expression ending just before ``<<<`` (identifier, ::, template args)."""
    i = site
    while i > 0 and source[i - 1].isspace():
        i -= 1
    if i > 0 and source[i - 1] == ">":  # template arguments: match angle brackets backwards
        depth = 0
        while i > 0:
            i -= 1
            if source[i] == ">":
                depth += 1
            elif source[i] == "<":
                depth -= 1
                if depth == 0:
                    break
        while i > 0 and source[i - 1].isspace():
            i -= 1
    while i > 0 and source[i - 1] in _IDENT_CHARS:
        i -= 1
    return i


def _config_end(source: str, start: int) -> int:
    """Index just past the ``>>>`` closing the launch configuration that starts at ``start``."""
    depth = 0
    i = start
    while i < len(source):
        ch = source[i]
        if ch in _OPEN:
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "\"'":
            i = _skip_literal(source, i)
            continue
        elif depth == 0 and source.startswith(">>>", i):
            return i + 3
        i += 1
    raise ValueError(f"unterminated <<< launch configuration at line {_line(source, start)}")


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside (), [] and {}; strip each part."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return parts
