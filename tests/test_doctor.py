"""`python -m inductor_npu_ext doctor` names every target and says why one is unavailable."""
import os
import subprocess
import sys


def test_doctor_reports_targets():
    env = {k: v for k, v in os.environ.items() if k not in ("ASCEND_HOME_PATH", "ASCEND_TOOLKIT_HOME")}
    out = subprocess.run([sys.executable, "-m", "inductor_npu_ext", "doctor"], env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    assert "cpp          available" in out and "ascendc-sim  available" in out
    assert "ascendc      unavailable: no CANN toolkit" in out
    assert "triton" in out and "registered devices: cpu" in out


def test_doctor_usage():
    proc = subprocess.run([sys.executable, "-m", "inductor_npu_ext"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "usage" in proc.stderr
