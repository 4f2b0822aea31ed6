"""Smoke test of the benchmark suite: the fragments build and run eagerly, and run.py's main, on
one tiny case in every mode, writes rows that carry the required keys and were checked against
eager (or say why they could not run). Imports torch and benchmarks.*; workers are subprocesses.
"""

import json

import pytest
import torch

from benchmarks import run
from benchmarks.fragments import FRAGMENTS, hc_split_sinkhorn, make_inputs

REQUIRED = {"fragment", "T", "dtype", "dynamic", "mode", "target", "median_us", "kernels",
            "max_abs_err", "ok", "error", "note"}


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_fragment_builds_and_runs_eagerly(name):
    out = FRAGMENTS[name].fn(*make_inputs(name, 3, D=256))
    for tensor in out if isinstance(out, tuple) else (out,):
        assert torch.isfinite(tensor.float()).all()


def test_sinkhorn_op_is_doubly_stochastic():
    mixes = torch.randn(5, 24)
    pre, post, comb = hc_split_sinkhorn(mixes, torch.ones(3), torch.zeros(24))
    assert pre.shape == post.shape == (5, 4) and comb.shape == (5, 4, 4)
    torch.testing.assert_close(comb.sum(-2), torch.ones(5, 4), atol=1e-4, rtol=0)
    torch.testing.assert_close(comb.sum(-1), torch.ones(5, 4), atol=1e-3, rtol=0)


def test_run_main_one_tiny_case(tmp_path, capsys):
    path = tmp_path / "rows.json"
    code = run.main(["--fragments", "hc_post", "--T", "1", "--dynamic", "false",
                     "--targets", "cpp", "--min-run-time", "0.01", "--json", str(path)])
    rows = json.loads(path.read_text())["rows"]
    assert {row["mode"] for row in rows} == {"eager", "inductor", "ours"}
    for row in rows:
        assert REQUIRED <= row.keys(), REQUIRED - row.keys()
        if row["error"] is None:  # checked against eager, and timed
            assert isinstance(row["max_abs_err"], float) and row["median_us"] > 0
        else:  # only ours may fail to run (backend missing or broken), and it says why
            assert row["mode"] == "ours" and row["error"]
    for row in rows:
        if row["mode"] != "ours":
            assert row["ok"] and row["error"] is None, row
    stock = next(row for row in rows if row["mode"] == "inductor")
    assert stock["target"] == "off" and stock["kernels"] >= 1
    assert stock["compile_cold_s"] > 0 and stock["fxgraph_cache_hit_warm"] >= 1  # caches kept
    assert code == (0 if all(row["ok"] or row["error"] for row in rows) else 1)
    assert "| fragment | T | dtype | dynamic |" in capsys.readouterr().out


def _row(mode, target, us, **extra):
    row = {"fragment": "hc_post", "T": 128, "dtype": "bf16", "dynamic": False, "mode": mode,
           "target": target, "median_us": us, "kernels": 1, "max_abs_err": 0.0, "ok": True,
           "error": None, "bytes": 10**6, "memory_bound": True, "tol": [0.02, 0.016]}
    return {**row, **extra}


def test_annotate_flags_wrong_unserved_and_broken_rows():
    rows = [_row("eager", None, 100.0), _row("inductor", "off", 50.0),
            _row("ours", "cpp", 25.0, kernels=0, fallbacks=0, stock_kernels=1),
            _row("ours", "ascendc-sim", 900.0, ok=False, max_abs_err=0.5, fallbacks=0,
                 stock_kernels=0),
            _row("ours", "triton", None, error="import inductor_npu_ext failed: boom\nmore")]
    rows = [run.annotate(row, copy_gbps=10.0) for row in rows]
    cpp, sim, triton = rows[2:]
    assert cpp["served"] is False and "kernels_cpp=0" in cpp["note"]
    assert sim["emulation"] and "FAIL max_abs_err=0.5" in sim["note"]
    assert triton["note"] == "ERR import inductor_npu_ext failed: boom"
    assert cpp["gbps"] == 40.0 and cpp["pct_copy_bw"] == 400.0
    table = run.report.markdown_table(rows, 10.0)
    line = next(text for text in table.splitlines() if text.startswith("| hc_post"))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[4:12] == ["100.0", "50.0", "25.0*", "900.0 FAIL", "ERR", "4", "0.5", "0/1"]
    assert "ours-ascendc-sim us (emulation)" in table
