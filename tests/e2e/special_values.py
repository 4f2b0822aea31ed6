"""Inputs with the values kernels get wrong first: signed zeros, halves (rounding ties), +-inf, NaN."""
import torch

SPECIAL = torch.tensor([0.0, -0.0, 1.5, -2.5, 0.5, -0.5, 3.0, float("inf"), -float("inf"), float("nan")])


def values(n: int, dtype=torch.float32, seed=0):
    """n values: the SPECIAL ones first, then seeded normals scaled by 3."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=g) * 3
    x[: len(SPECIAL)] = SPECIAL[: min(n, len(SPECIAL))]
    return x.to(dtype)
