"""The kernel cache: one directory per key, a file lock per key, builds in a temp dir renamed into
place atomically, and a manifest validated before anything is loaded.

Imports the standard library, filelock and our config/counters; knows nothing of targets."""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

from filelock import FileLock

from . import config
from .counters import bump

log = logging.getLogger("inductor_npu_ext")
MANIFEST = "manifest.json"
FORMAT = 1


class BuildError(Exception):
    """A compiler invocation failed; carries the command and the saved source path."""

    def __init__(self, message: str, command: list[str], source_path: Path, output: str):
        self.command, self.source_path, self.output = command, source_path, output
        super().__init__(f"{message}\n  command: {shlex.join(command)}\n  source: {source_path}\n"
                         + "\n".join(output.strip().splitlines()[-25:]))


@dataclass(frozen=True)
class BuildSpec:
    """What to build: sources written into the build dir, the command (given the dir), the
    artifact it produces, and every input that must enter the key."""
    target: str
    files: dict[str, str]
    command: Callable[[Path], list[str]]
    artifact: str
    key_parts: tuple[str, ...]

    @cached_property
    def key(self) -> str:
        h = hashlib.sha256()
        for part in (str(FORMAT), self.target, *self.key_parts):
            h.update(part.encode())
        for name, text in sorted(self.files.items()):
            h.update(name.encode())
            h.update(text.encode())
        return h.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry_dir(spec: BuildSpec) -> Path:
    key = spec.key
    return config.cache_path() / spec.target.replace("-", "_") / key[:2] / key


def _valid(directory: Path, spec: BuildSpec) -> bool:
    """A cache entry is used only if its manifest names this key and the artifact's hash matches."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        artifact = directory / spec.artifact
        return (manifest.get("key") == spec.key and manifest.get("format") == FORMAT
                and manifest.get("sha256") == _sha256(artifact))
    except (OSError, ValueError):
        return False


def build(spec: BuildSpec) -> Path:
    """Return the path of the built artifact, compiling at most once per key across processes."""
    directory = entry_dir(spec)
    if _valid(directory, spec):
        bump("cache_hits")
        return directory / spec.artifact
    directory.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory) + ".lock"):
        if _valid(directory, spec):
            bump("cache_hits")
            return directory / spec.artifact
        if directory.exists():
            log.warning("inductor_npu_ext: discarding invalid cache entry %s", directory)
            shutil.rmtree(directory, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{spec.key[:12]}-", dir=directory.parent))
        try:
            _compile(spec, tmp)
            os.replace(tmp, directory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return directory / spec.artifact


def _compile(spec: BuildSpec, tmp: Path) -> None:
    for name, text in spec.files.items():
        (tmp / name).write_text(text)
    command = spec.command(tmp)
    bump("compiler_runs")
    proc = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
    if proc.returncode != 0:
        saved = save_failed(spec)
        raise BuildError(f"{spec.target}: compiler failed (exit {proc.returncode})", command, saved,
                         proc.stdout + proc.stderr)
    artifact = tmp / spec.artifact
    manifest = {"key": spec.key, "format": FORMAT, "target": spec.target,
                "sha256": _sha256(artifact), "command": command}
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1))


def save_failed(spec: BuildSpec) -> Path:
    """Keep the sources of a failed build for the log line and for bug reports."""
    directory = config.cache_path() / "failed" / spec.key[:16]
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in spec.files.items():
        (directory / name).write_text(text)
    return directory / next(iter(spec.files))


def load_extension(path: Path, module_name: str):
    """Import a built CPython extension module from its path (without touching sys.modules)."""
    loader = importlib.machinery.ExtensionFileLoader(module_name, str(path))
    spec = importlib.util.spec_from_file_location(module_name, str(path), loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def tool_version(executable: str) -> str:
    """First line of `<tool> --version`, part of every key that tool builds."""
    return _TOOL_VERSIONS.get(executable) or _TOOL_VERSIONS.setdefault(executable, _version(executable))


def _version(executable: str) -> str:
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else executable
    except (OSError, subprocess.SubprocessError) as e:
        return f"{executable}: unavailable ({e})"


_TOOL_VERSIONS: dict[str, str] = {}
