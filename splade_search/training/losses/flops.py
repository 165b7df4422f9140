"""FlopsLoss: the FLOPS sparsity regularizer of SPLADE."""

from __future__ import annotations

import torch

from .base import SparsityRegularizer


class FlopsLoss(SparsityRegularizer):
    """``sum_j (mean_i x_ij)^2``: a smooth proxy for the number of floating-point operations of a
    dot product between two sparse vectors (Paria et al. 2020). SPLADE activations are >= 0, so no
    absolute value is taken. Use it inside SpladeLoss (its default regularizer)."""

    citation = """
@article{paria2020minimizing,
    title={Minimizing FLOPs to Learn Efficient Sparse Representations},
    author={Paria, Biswajit and Yeh, Chih-Kuan and Yen, Ian E.H. and Xu, Ning and Ravikumar, Pradeep and P{\\'o}czos, Barnab{\\'a}s},
    journal={arXiv preprint arXiv:2004.05665},
    year={2020}
}
"""

    def compute_loss_from_embeddings(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self.mask(embeddings).mean(dim=0).pow(2).sum()
