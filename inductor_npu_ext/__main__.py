"""`python -m inductor_npu_ext doctor`: what this host can use, and why not.

Prints the settings, the devices our scheduling is registered for, and each target's
availability with the reason when it is unavailable. Imports our package (and so torch)."""
from __future__ import annotations

import sys


def doctor() -> int:
    import inductor_npu_ext
    from inductor_npu_ext import config, targets

    print(f"inductor_npu_ext {inductor_npu_ext.__version__}")
    for key, value in {**config.snapshot(), "cache_dir": config.cache_dir}.items():
        print(f"  {key:10} {value}")
    print(f"  registered devices: {', '.join(inductor_npu_ext.registered_devices()) or 'none'}")
    for name in ("cpp", "ascendc-sim", "ascendc", "triton"):
        try:
            ok, why = targets.get(name).available()
        except Exception as e:          # a target whose module cannot even import says why
            ok, why = False, f"{type(e).__name__}: {e}"
        print(f"  {name:12} {'available' if ok else 'unavailable: ' + why}")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["doctor"]:
        return doctor()
    print("usage: python -m inductor_npu_ext doctor", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
