"""The fragment suite on the reference C++ target."""
from .fragment_suite import FragmentTests


class TestCpp(FragmentTests):
    TARGET = "cpp"
