"""SparseAnglELoss: CoSENT on the angle difference in complex space."""

from __future__ import annotations

import logging

import torch
from torch import nn

from .cosent import SparseCoSENTLoss

logger = logging.getLogger(__name__)


def pairwise_angle_sim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """AnglE's similarity of matching rows: split each vector into real and imaginary halves, divide
    the complex vectors, rescale by their norms and take |Σ(real + imaginary parts)|."""
    if x.is_sparse or y.is_sparse:
        logger.warning("pairwise_angle_sim densifies sparse inputs")
        x, y = x.to_dense(), y.to_dense()
    a, b = torch.chunk(x, 2, dim=1)
    c, d = torch.chunk(y, 2, dim=1)
    denominator = (c**2 + d**2).sum(dim=1, keepdim=True)
    real = (a * c + b * d) / denominator
    imaginary = (b * c - a * d) / denominator
    norm_x = (a**2 + b**2).sum(dim=1, keepdim=True).sqrt()
    norm_y = (c**2 + d**2).sum(dim=1, keepdim=True).sqrt()
    ratio = norm_y / norm_x
    return (torch.cat([real * ratio, imaginary * ratio], dim=1).sum(dim=1)).abs()


class SparseAnglELoss(SparseCoSENTLoss):
    """SparseCoSENTLoss with ``pairwise_angle_sim``, which avoids the flat gradients of cosine near
    ±1 (Li & Li 2023). Columns: (text_1, text_2) with a similarity label. Sets the model similarity
    to cosine, like CoSENT."""

    citation = """
@misc{li2023angleoptimized,
    title={AnglE-optimized Text Embeddings},
    author={Xianming Li and Jing Li},
    year={2023},
    eprint={2309.12871},
    archivePrefix={arXiv},
    primaryClass={cs.CL}
}
"""

    def __init__(self, model: nn.Module, scale: float = 20.0) -> None:
        super().__init__(model, scale=scale, similarity_fct=pairwise_angle_sim)
