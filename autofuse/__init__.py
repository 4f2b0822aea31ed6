"""autofuse: the kernel IR and the planners. Depends on sympy only, never on torch."""
