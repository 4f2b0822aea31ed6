"""Every template is parsed, and the variables it uses equal the keys its renderer passes
(StrictUndefined catches missing variables, not unused ones)."""
from __future__ import annotations

import importlib.resources as resources

import jinja2
import jinja2.meta
import pytest

from inductor_npu_ext.codegen.base import ENV

# template -> the keys its renderer passes (kept next to the renderer's render call)
EXPECTED = {
    "cpp/kernel.cpp.j2": {"kernel_name", "entry", "params", "body", "origin"},
    "cpp/binding.cpp.j2": {"module", "entry", "arg_types", "call"},
}


def all_templates():
    root = resources.files("inductor_npu_ext.templates")
    return sorted(f"{d.name}/{f.name}" for d in root.iterdir() if d.is_dir()
                  for f in d.iterdir() if f.name.endswith(".j2"))


@pytest.mark.parametrize("name", all_templates())
def test_template_variables(name):
    source = ENV.loader.get_source(ENV, name)[0]
    used = jinja2.meta.find_undeclared_variables(ENV.parse(source))
    if name not in EXPECTED:
        pytest.skip(f"{name}: variables are checked by its target's own template test")
    assert used == EXPECTED[name]
