"""Turn benchmark rows (dicts, see run.py) into the markdown table and the speedup chart.

Plain Python on rows; never imports torch. matplotlib is imported inside ``plot_speedups`` only.
"""

from __future__ import annotations

BW_MIN_T = 128  # the GB/s column is shown from this token count up


def case_of(row: dict) -> tuple:
    return row["fragment"], row["T"], row["dtype"], row["dynamic"]


def group_cases(rows: list[dict]) -> dict[tuple, dict[str, dict]]:
    """{case: {column label: row}} in first-seen order; labels 'eager', 'inductor', 'ours-<t>'."""
    cases: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        label = f"ours-{row['target']}" if row["mode"] == "ours" else row["mode"]
        cases.setdefault(case_of(row), {})[label] = row
    return cases


def ours_targets(rows: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["target"] for r in rows if r["mode"] == "ours"))


def primary_target(rows: list[dict]) -> str | None:
    """The target the speed columns compare: the first that is not an emulation."""
    targets = ours_targets(rows)
    emulated = {r["target"] for r in rows if r.get("emulation")}
    real = [t for t in targets if t not in emulated]
    return (real or targets or [None])[0]


def format_us(row: dict | None) -> str:
    if row is None:
        return "-"
    if row.get("error"):
        return "ERR"
    text = f"{row['median_us']:.1f}" if row.get("median_us") is not None else "-"
    if not row.get("ok"):
        return f"{text} FAIL"
    return text + ("*" if row.get("served") is False else "")


def ratio_value(numerator: dict | None, denominator: dict | None) -> float | None:
    """numerator us / denominator us, None when either row has no time."""
    usable = all(r and not r.get("error") and r.get("median_us") for r in (numerator, denominator))
    return numerator["median_us"] / denominator["median_us"] if usable else None


def _ratio(numerator: dict | None, denominator: dict | None) -> str:
    value = ratio_value(numerator, denominator)
    return "-" if value is None else f"{value:.3g}"


def _kernels(ours: dict | None, stock: dict | None) -> str:
    def count(row):
        return "-" if not row or row.get("kernels") is None else str(row["kernels"])
    return f"{count(ours)}/{count(stock)}"


def _compile(row: dict | None) -> str:
    if not row or row.get("compile_cold_s") is None:
        return "-"
    warm = row.get("compile_warm_s")
    return f"{row['compile_cold_s']:.1f}/" + ("-" if warm is None else f"{warm:.2f}")


def _bandwidth(row: dict | None) -> str:
    if not row or row.get("gbps") is None or row["T"] < BW_MIN_T or not row.get("memory_bound"):
        return "-"
    return f"{row['gbps']:.1f} ({row['pct_copy_bw']:.0f}%)"


def _notes(by_label: dict[str, dict]) -> str:
    notes = [f"{label}: {row['note']}" for label, row in by_label.items() if row.get("note")]
    return "; ".join(notes).replace("|", "/")


def table_header(targets: list[str], emulated: set[str]) -> list[str]:
    ours = [f"ours-{t} us" + (" (emulation)" if t in emulated else "") for t in targets]
    return ["fragment", "T", "dtype", "dynamic", "eager us", "inductor us", *ours,
            "speedup ours/eager", "ratio ours/stock", "kernels ours/stock",
            "compile ours cold/warm s", "GB/s ours (% copy)", "note"]


def table_line(case: tuple, by_label: dict[str, dict], targets: list[str], primary) -> list[str]:
    fragment, T, dtype, dynamic = case
    eager, stock = by_label.get("eager"), by_label.get("inductor")
    ours = by_label.get(f"ours-{primary}")
    return [fragment, str(T), dtype, str(dynamic).lower(), format_us(eager), format_us(stock),
            *(format_us(by_label.get(f"ours-{t}")) for t in targets),
            _ratio(eager, ours), _ratio(ours, stock), _kernels(ours, stock), _compile(ours),
            _bandwidth(ours), _notes(by_label)]


def markdown_table(rows: list[dict], copy_gbps: float | None = None) -> str:
    """The stdout report: one line per (fragment, T, dtype, dynamic), then a legend."""
    targets = ours_targets(rows)
    emulated = {r["target"] for r in rows if r.get("emulation")}
    primary = primary_target(rows)
    header = table_header(targets, emulated)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case, by_label in group_cases(rows).items():
        lines.append("| " + " | ".join(table_line(case, by_label, targets, primary)) + " |")
    return "\n".join(lines + ["", legend(primary, copy_gbps)])


def legend(primary: str | None, copy_gbps: float | None) -> str:
    copy = "not measured" if copy_gbps is None else f"{copy_gbps:.1f} GB/s"
    return "\n".join([
        f"Medians in microseconds. Speed columns compare ours-{primary}.",
        "speedup ours/eager = eager us / ours us (>1: ours faster); "
        "ratio ours/stock = ours us / inductor us (<1: ours faster).",
        "kernels: ours = counter inductor_npu_ext/kernels_<target>, stock = kernels bound to "
        "async_compile.* in Inductor's generated code. compile: first call in fresh caches / in "
        "a fresh process with those caches kept.",
        "* = ours did not serve every kernel (counter 0, fallbacks > 0 or stock kernels left in "
        "the code); FAIL = outside "
        "tolerance vs eager; ERR = the case could not run (see note / JSON 'error').",
        "emulation columns run AscendC through a CPU emulation: a correctness figure, not a "
        f"speed figure. Host copy bandwidth (copy_, read+write): {copy}; GB/s shown for "
        f"T >= {BW_MIN_T} on memory-bound fragments (above 100%: the working set fits in "
        "cache, the copy's does not).",
    ])


def plot_speedups(rows: list[dict], path: str) -> str:
    """Write a bar chart of speedup over eager (emulated targets left out); returns a message."""
    try:
        import matplotlib
    except ImportError:
        return (f"--plot {path}: matplotlib is not installed (pip install matplotlib, or "
                "pip install -e '.[plot]'); no chart written")
    matplotlib.use("Agg")
    from matplotlib import pyplot

    cases = group_cases(rows)
    labels = [lab for lab in dict.fromkeys(k for v in cases.values() for k in v)
              if lab != "eager" and not any(r.get("emulation") for r in _rows_of(cases, lab))]
    names = [f"{f} T={t} {d}{' dyn' if dyn else ''}" for f, t, d, dyn in cases]
    figure, axes = pyplot.subplots(figsize=(max(6.0, 0.5 * len(names) * len(labels)), 4.5))
    width = 0.8 / max(1, len(labels))
    for index, label in enumerate(labels):
        heights = [_speedup(by_label, label) for by_label in cases.values()]
        axes.bar([i + index * width for i in range(len(names))], heights, width, label=label)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(names))], names, rotation=60,
                    ha="right", fontsize=7)
    axes.set_yscale("log")
    axes.set_ylabel("speedup over eager (x, log scale)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return f"chart written to {path}"


def _rows_of(cases: dict, label: str) -> list[dict]:
    return [by_label[label] for by_label in cases.values() if label in by_label]


def _speedup(by_label: dict[str, dict], label: str) -> float:
    value = ratio_value(by_label.get("eager"), by_label.get(label))
    return float("nan") if value is None else value  # nan: no bar
