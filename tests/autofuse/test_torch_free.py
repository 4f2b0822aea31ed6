"""autofuse knows no torch: importing it (as the plain package in the repo) must not import torch."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_autofuse_does_not_import_torch():
    code = ("import sys; sys.path.insert(0, %r); import autofuse.ir, autofuse.plan, autofuse.text; "
            "assert 'torch' not in sys.modules, 'torch was imported'" % str(ROOT))
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
