"""The cpp templates use exactly the variables the renderer passes (StrictUndefined catches
missing variables, not unused ones). The ascendc and triton templates have the same check in
their golden tests (test_templates_use_exactly_the_passed_variables,
test_template_variables_are_the_renderers)."""
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


def cpp_templates():
    root = resources.files("inductor_npu_ext.templates") / "cpp"
    return sorted(f"cpp/{f.name}" for f in root.iterdir() if f.name.endswith(".j2"))


@pytest.mark.parametrize("name", cpp_templates())
def test_template_variables(name):
    source = ENV.loader.get_source(ENV, name)[0]
    assert jinja2.meta.find_undeclared_variables(ENV.parse(source)) == EXPECTED[name]
