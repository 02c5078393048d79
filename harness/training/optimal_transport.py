"""Entropy-regularised optimal transport between two token sets, batched, for OPTICAL's loss.

For each pair b of a batch, with cost ``C[b]`` (``n x m``) and the rows and columns that hold
real tokens (masks), the plan ``T[b]`` minimises ``<T, C> - epsilon * H(T)`` subject to uniform
marginals: every real row sums to ``1/n_b`` and every real column to ``1/m_b`` (``n_b``, ``m_b``
the real tokens of the pair); masked rows and columns carry nothing. Sinkhorn's iterations run
in the log domain (on the potentials, through ``logsumexp``), so a small ``epsilon`` does not
underflow ``exp(-C / epsilon)``. Each iteration updates the row potential and then the column
potential, so the column marginals hold to rounding after any number of iterations and the row
marginals converge.

The loss is OPTICAL's (Huang, Yu, Allan, WSDM 2023): the Frobenius inner product ``<T, C>``
with the plan held fixed (detached), so the gradient moves the token representations that make
the cost, not the alignment. Pure torch, no training code.
"""
from __future__ import annotations

import math

import torch


def cosine_cost(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``1 - cos`` between every row token of ``source`` (``B x n x d``) and every column token of
    ``target`` (``B x m x d``): ``B x n x m``, in [0, 2]."""
    source = torch.nn.functional.normalize(source, dim=-1)
    target = torch.nn.functional.normalize(target, dim=-1)
    return 1.0 - source @ target.transpose(1, 2)


def sinkhorn(
    cost: torch.Tensor, source_mask: torch.Tensor, target_mask: torch.Tensor, *, epsilon: float = 0.1, iterations: int = 50
) -> torch.Tensor:
    """The entropy-regularised plan ``B x n x m`` between uniform marginals over each pair's
    unmasked rows (``source_mask``, ``B x n``) and columns (``target_mask``, ``B x m``); zero on
    masked entries, and all zero for a pair with no unmasked row or no unmasked column.

    Computed without gradients, in at least float32 (half-precision costs are promoted)."""
    if epsilon <= 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon}")
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    with torch.no_grad():
        work = cost.detach().to(torch.promote_types(cost.dtype, torch.float32))
        usable = source_mask.any(dim=1) & target_mask.any(dim=1)
        rows = source_mask.bool() & usable[:, None]
        columns = target_mask.bool() & usable[:, None]
        log_a = _log_uniform(rows, work.dtype)
        log_b = _log_uniform(columns, work.dtype)
        # -C/epsilon with -inf off the real entries: exp() of it is the Gibbs kernel, zero there
        kernel = (-work / epsilon).masked_fill(~(rows[:, :, None] & columns[:, None, :]), -math.inf)
        f = torch.zeros_like(log_a)  # potentials divided by epsilon
        g = torch.zeros_like(log_b)
        zero = work.new_zeros(())
        for _ in range(iterations):
            f = torch.where(rows, log_a - torch.logsumexp(kernel + g[:, None, :], dim=2), zero)
            g = torch.where(columns, log_b - torch.logsumexp(kernel + f[:, :, None], dim=1), zero)
        return torch.exp(kernel + f[:, :, None] + g[:, None, :])


def transport_loss(
    cost: torch.Tensor, source_mask: torch.Tensor, target_mask: torch.Tensor, *, epsilon: float = 0.1, iterations: int = 50
) -> torch.Tensor:
    """Mean over the batch of ``<T, C>`` with ``T = sinkhorn(C)`` detached: differentiable in
    ``cost`` only. A pair without tokens on a side contributes 0."""
    plan = sinkhorn(cost, source_mask, target_mask, epsilon=epsilon, iterations=iterations)
    return (plan.to(cost.dtype) * cost).sum(dim=(1, 2)).mean()


def _log_uniform(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``log(1/k)`` on each row's ``k`` unmasked entries, 0 elsewhere (never read there)."""
    counts = mask.sum(dim=1, keepdim=True).clamp(min=1).to(dtype)
    return torch.where(mask, -torch.log(counts), torch.zeros((), dtype=dtype, device=mask.device))
