"""The DeepSeek-V4-Flash fragments of shared/reference/workloads.md as plain torch functions,
with seeded input builders and per-dtype tolerances (registry ``FRAGMENTS``).

Imports torch only (never matplotlib, never inductor_npu_ext). The one import-time effect is
registering the custom op ``inductor_npu_ext_bench::hc_split_sinkhorn`` (schema, fake impl and a
reference CPU/any-device impl), so Dynamo sees Sinkhorn as one opaque call, as in the recipe.

Token layout: every builder uses B=1, S=T (prefill-shaped; T=1 is decode). Expert and SwiGLU
take flat ``[T, dim]`` rows, as ``Expert.forward`` does. Activations use ``dtype`` (bf16 by
default); hc parameters are always fp32, as in the model.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable

import torch
import torch.nn.functional as F

HC_MULT = 4  # H: residual streams
MIX = (2 + HC_MULT) * HC_MULT  # M = 24 mixes per token for hc_pre
INTER = 2048  # moe_inter_dim
EPS = 1e-6  # norm eps = hc eps
SINKHORN_ITERS = 20
SWIGLU_LIMIT = 10.0
SINKHORN_OP = "inductor_npu_ext_bench::hc_split_sinkhorn"


# --------------------------------------------------------------------------- Sinkhorn op
def sinkhorn_reference(mixes, scale, base, hc_mult: int = HC_MULT,
                       iters: int = SINKHORN_ITERS, eps: float = EPS):
    """hc_split_sinkhorn in plain torch ops, fp32, vectorised over tokens.

    mixes [..., (2+H)*H], scale [3], base [(2+H)*H] -> pre [..., H], post [..., H], comb [..., H, H].
    """
    h = hc_mult
    m = mixes.float()
    pre = torch.sigmoid(m[..., :h] * scale[0] + base[:h]) + eps
    post = 2 * torch.sigmoid(m[..., h:2 * h] * scale[1] + base[h:2 * h])
    logits = (m[..., 2 * h:] * scale[2] + base[2 * h:]).unflatten(-1, (h, h))
    comb = torch.softmax(logits, dim=-1) + eps
    comb = comb / (comb.sum(dim=-2, keepdim=True) + eps)  # column step
    for _ in range(iters - 1):
        comb = comb / (comb.sum(dim=-1, keepdim=True) + eps)  # row step
        comb = comb / (comb.sum(dim=-2, keepdim=True) + eps)  # column step
    return pre, post, comb


def _op_registered(qualname: str) -> bool:
    namespace, name = qualname.split("::")
    try:
        getattr(getattr(torch.ops, namespace), name)
    except (AttributeError, RuntimeError):
        return False
    return True


def _register_sinkhorn_op() -> None:
    """Define the custom op once per process (a second import of this file reuses it)."""
    if _op_registered(SINKHORN_OP):
        return

    @torch.library.custom_op(SINKHORN_OP, mutates_args=())
    def _sinkhorn(mixes: torch.Tensor, scale: torch.Tensor, base: torch.Tensor,
                  hc_mult: int = HC_MULT, iters: int = SINKHORN_ITERS,
                  eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        pre, post, comb = sinkhorn_reference(mixes, scale, base, hc_mult, iters, eps)
        return pre.contiguous(), post.contiguous(), comb.contiguous()

    @_sinkhorn.register_fake
    def _(mixes, scale, base, hc_mult=HC_MULT, iters=SINKHORN_ITERS, eps=EPS):
        lead = mixes.shape[:-1]
        new = mixes.new_empty
        return (new((*lead, hc_mult), dtype=torch.float32),
                new((*lead, hc_mult), dtype=torch.float32),
                new((*lead, hc_mult, hc_mult), dtype=torch.float32))


_register_sinkhorn_op()


def hc_split_sinkhorn(mixes, scale, base, hc_mult: int = HC_MULT,
                      iters: int = SINKHORN_ITERS, eps: float = EPS):
    """The recipe's custom op: one opaque extern call under torch.compile."""
    op = torch.ops.inductor_npu_ext_bench.hc_split_sinkhorn
    return op(mixes, scale, base, hc_mult, iters, eps)


# --------------------------------------------------------------------------- fragments
def hc_post(x, residual, post, comb):
    """y[b,s,k] = post[k]*x + sum_j comb[j,k]*residual[j]; fp32 math, stored as x.dtype."""
    y = post.unsqueeze(-1) * x.unsqueeze(-2) + torch.sum(
        comb.unsqueeze(-1) * residual.unsqueeze(-2), dim=2)
    return y.type_as(x)


def rmsnorm(x, weight, eps: float = EPS):
    """DeepSeek RMSNorm: fp32 statistics, weight applied in fp32, cast back to x.dtype."""
    xf = x.float()
    var = xf.square().mean(-1, keepdim=True)
    return (weight * (xf * torch.rsqrt(var + eps))).to(x.dtype)


def hc_pre_norm_part(x, eps: float = EPS):
    """The rsqrt(mean(xf*xf) + eps) of hc_pre alone: x [B,S,H,D] -> fp32 [B,S,1]."""
    xf = x.flatten(2).float()
    return torch.rsqrt(xf.square().mean(-1, keepdim=True) + eps)


def hc_mix(x, mixes, scale, base, eps: float = EPS):
    """hc_head after its GEMM: pre = sigmoid(mixes*scale+base)+eps; y = sum_j pre[j]*x[j].

    x [B,S,H,D], mixes fp32 [B,S,H], scale [1], base [H] -> [B,S,D] in x.dtype (bf16 in the model).
    """
    pre = torch.sigmoid(mixes * scale + base) + eps
    return torch.sum(pre.unsqueeze(-1) * x.float(), dim=2).to(x.dtype)


def hc_pre(x, fn, scale, base, eps: float = EPS):
    """x [B,S,H,D] -> (y [B,S,D] in x.dtype, post fp32 [B,S,H], comb fp32 [B,S,H,H])."""
    shape = x.shape
    xf = x.flatten(2).float()
    rstd = torch.rsqrt(xf.square().mean(-1, keepdim=True) + eps)
    mixes = F.linear(xf, fn) * rstd
    pre, post, comb = hc_split_sinkhorn(mixes, scale, base, shape[2], SINKHORN_ITERS, eps)
    y = torch.sum(pre.unsqueeze(-1) * xf.view(shape), dim=2)
    return y.to(x.dtype), post, comb


def hc_head(x, fn, scale, base, eps: float = EPS):
    """Transformer.hc_head: hc_pre's norm and GEMM with fn [H, H*D], then hc_mix."""
    xf = x.flatten(2).float()
    rstd = torch.rsqrt(xf.square().mean(-1, keepdim=True) + eps)
    mixes = F.linear(xf, fn) * rstd
    return hc_mix(x, mixes, scale, base, eps)


def swiglu(g, u, weights=None, limit: float = SWIGLU_LIMIT):
    """The fp32 chain between Expert's GEMMs: g, u [n, inter] (GEMM outputs) -> h [n, inter]."""
    gf = torch.clamp(g.float(), max=limit)
    uf = torch.clamp(u.float(), -limit, limit)
    h = F.silu(gf) * uf
    if weights is not None:
        h = weights * h
    return h.to(g.dtype)


def expert(x, w1, w2, w3, weights=None):
    """Expert.forward: x [n, D]; w1, w3 [inter, D]; w2 [D, inter]; weights fp32 [n, 1] or None."""
    h = swiglu(F.linear(x, w1), F.linear(x, w3), weights)
    return F.linear(h.to(x.dtype), w2)


def decoder_block(x, attn_fn, attn_scale, attn_base, attn_norm, wo,
                  ffn_fn, ffn_scale, ffn_base, ffn_norm, w1, w2, w3):
    """hc_pre -> RMSNorm -> matmul (attention stand-in) -> hc_post, then the same with an Expert."""
    residual = x
    h, post, comb = hc_pre(x, attn_fn, attn_scale, attn_base)
    h = F.linear(rmsnorm(h, attn_norm), wo)
    x = hc_post(h, residual, post, comb)
    residual = x
    h, post, comb = hc_pre(x, ffn_fn, ffn_scale, ffn_base)
    h = expert(rmsnorm(h, ffn_norm), w1, w2, w3)
    return hc_post(h, residual, post, comb)


# --------------------------------------------------------------------------- input builders
def _randn(gen, shape, dtype, scale=1.0):
    return (torch.randn(shape, generator=gen) * scale).to(dtype)


def _linear_weight(gen, out_dim, in_dim, dtype):
    return _randn(gen, (out_dim, in_dim), dtype, 1.0 / math.sqrt(in_dim))


def _hc_params(gen, n_out, D, n_scale):
    """fn [n_out, H*D], scale [n_scale], base [n_out]; all fp32, mixes come out O(1)."""
    fn = _linear_weight(gen, n_out, HC_MULT * D, torch.float32)
    scale = 0.5 + torch.rand(n_scale, generator=gen)
    base = _randn(gen, (n_out,), torch.float32, 0.1)
    return fn, scale, base


def build_hc_post(T, dtype, D, gen):
    x = _randn(gen, (1, T, D), dtype)
    residual = _randn(gen, (1, T, HC_MULT, D), dtype)
    post = 2 * torch.sigmoid(torch.randn((1, T, HC_MULT), generator=gen))
    comb = torch.softmax(torch.randn((1, T, HC_MULT, HC_MULT), generator=gen), dim=-1)
    return x, residual, post, comb


def build_rmsnorm(T, dtype, D, gen, N=None, weight_dtype=None):
    """N defaults to D (4096); weight_dtype defaults to dtype (bf16 as in the recipe)."""
    N = D if N is None else N
    x = _randn(gen, (1, T, N), dtype)
    weight = (1 + _randn(gen, (N,), torch.float32, 0.1)).to(weight_dtype or dtype)
    return x, weight


def build_hc_pre_norm_part(T, dtype, D, gen):
    return (_randn(gen, (1, T, HC_MULT, D), dtype),)


def build_hc_mix(T, dtype, D, gen):
    x = _randn(gen, (1, T, HC_MULT, D), dtype)
    mixes = torch.randn((1, T, HC_MULT), generator=gen)
    scale = 0.5 + torch.rand(1, generator=gen)
    base = _randn(gen, (HC_MULT,), torch.float32, 0.1)
    return x, mixes, scale, base


def build_hc_pre(T, dtype, D, gen):
    return (_randn(gen, (1, T, HC_MULT, D), dtype), *_hc_params(gen, MIX, D, 3))


def build_hc_head(T, dtype, D, gen):
    return (_randn(gen, (1, T, HC_MULT, D), dtype), *_hc_params(gen, HC_MULT, D, 1))


def build_swiglu(T, dtype, D, gen, inter=INTER, with_weights=True):
    """g, u scaled by 4 so that some values exceed the +-10 clamp."""
    g = _randn(gen, (T, inter), dtype, 4.0)
    u = _randn(gen, (T, inter), dtype, 4.0)
    weights = torch.rand((T, 1), generator=gen) if with_weights else None
    return g, u, weights


def _expert_weights(gen, D, inter, dtype):
    w1 = _linear_weight(gen, inter, D, dtype)
    w2 = _linear_weight(gen, D, inter, dtype)
    w3 = _linear_weight(gen, inter, D, dtype)
    return w1, w2, w3


def build_expert(T, dtype, D, gen, inter=INTER, with_weights=True):
    x = _randn(gen, (T, D), dtype)
    weights = torch.rand((T, 1), generator=gen) if with_weights else None
    return (x, *_expert_weights(gen, D, inter, dtype), weights)


def build_decoder_block(T, dtype, D, gen, inter=INTER):
    x = _randn(gen, (1, T, HC_MULT, D), dtype)
    attn = (*_hc_params(gen, MIX, D, 3), build_rmsnorm(1, dtype, D, gen)[1],
            _linear_weight(gen, D, D, dtype))
    ffn = (*_hc_params(gen, MIX, D, 3), build_rmsnorm(1, dtype, D, gen)[1])
    return (x, *attn, *ffn, *_expert_weights(gen, D, inter, dtype))


# --------------------------------------------------------------------------- registry
Tolerance = tuple[float, float]  # (atol, rtol), as in torch.allclose

# Outputs stored in bf16 may differ by one rounding step when the fp32 math is reordered.
BF16_TOL: Tolerance = (2e-2, 1.6e-2)
FP32_TOL: Tolerance = (1e-4, 1e-4)
# GEMM chains: a one-ulp change of a GEMM input moves its bf16 output by a few ulps.
GEMM_BF16_TOL: Tolerance = (1e-1, 5e-2)
GEMM_FP32_TOL: Tolerance = (1e-3, 1e-3)


@dataclasses.dataclass(frozen=True)
class Fragment:
    """One benchmarked function: ``fn(*build(T, dtype, D, generator, **kw))``."""

    name: str
    fn: Callable
    build: Callable
    bf16_tol: Tolerance = BF16_TOL
    fp32_tol: Tolerance = FP32_TOL
    memory_bound: bool = True  # False where square GEMMs dominate: no GB/s figure

    def tolerance(self, dtype: torch.dtype) -> Tolerance:
        return self.fp32_tol if dtype == torch.float32 else self.bf16_tol


FRAGMENTS: dict[str, Fragment] = {
    "hc_post": Fragment("hc_post", hc_post, build_hc_post),
    "rmsnorm": Fragment("rmsnorm", rmsnorm, build_rmsnorm),
    "hc_pre_norm_part": Fragment("hc_pre_norm_part", hc_pre_norm_part, build_hc_pre_norm_part),
    "hc_mix": Fragment("hc_mix", hc_mix, build_hc_mix),
    "swiglu": Fragment("swiglu", swiglu, build_swiglu),
    "hc_pre": Fragment("hc_pre", hc_pre, build_hc_pre),
    "hc_head": Fragment("hc_head", hc_head, build_hc_head),
    "expert": Fragment("expert", expert, build_expert, GEMM_BF16_TOL, GEMM_FP32_TOL, False),
    "decoder_block": Fragment("decoder_block", decoder_block, build_decoder_block,
                              GEMM_BF16_TOL, GEMM_FP32_TOL, False),
}


def make_inputs(name: str, T: int, dtype: torch.dtype = torch.bfloat16, D: int = 4096,
                seed: int = 0, device="cpu", **kw) -> tuple:
    """The argument tuple for ``FRAGMENTS[name].fn`` at T tokens (B=1, S=T), built on the CPU
    from ``seed`` and then moved to ``device``. Extra keywords go to the builder (rmsnorm: ``N``,
    ``weight_dtype``; swiglu/expert: ``inter``, ``with_weights``)."""
    gen = torch.Generator().manual_seed(seed)
    args = FRAGMENTS[name].build(T, dtype, D, gen, **kw)
    return tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)
