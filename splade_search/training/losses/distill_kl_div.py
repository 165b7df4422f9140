"""SparseDistillKLDivLoss: match the student's softmax over candidates to the teacher's."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...errors import InputError
from ...similarity import pairwise_dot_score
from .base import ColumnSpec, SparseLoss, function_name, require_labels

logger = logging.getLogger(__name__)


class SparseDistillKLDivLoss(SparseLoss):
    """``KL(softmax(teacher/T_t) || softmax(student/T_s)) · T_s²`` averaged over the batch.

    Columns: (query, candidate_1, candidate_2, ...), at least two candidates; labels are the teacher
    scores [batch, n_candidates]. ``temperature`` (default 2, which keeps sparse models from
    collapsing to zero active dimensions) sets both sides unless ``student_temperature`` /
    ``teacher_temperature`` override one of them.
    """

    columns = ColumnSpec(3, None, labels=True)
    citation = """
@misc{lin2020distillingdenserepresentationsranking,
    title={Distilling Dense Representations for Ranking using Tightly-Coupled Teachers},
    author={Sheng-Chieh Lin and Jheng-Hong Yang and Jimmy Lin},
    year={2020},
    eprint={2010.11386},
    archivePrefix={arXiv},
    primaryClass={cs.IR}
}
"""

    def __init__(
        self,
        model: nn.Module,
        similarity_fct: Callable[..., torch.Tensor] = pairwise_dot_score,
        temperature: float = 2.0,
        student_temperature: float | None = None,
        teacher_temperature: float | None = None,
    ) -> None:
        super().__init__(model)
        self.similarity_fct = similarity_fct
        self.temperature = temperature
        self.student_temperature = temperature if student_temperature is None else student_temperature
        self.teacher_temperature = temperature if teacher_temperature is None else teacher_temperature
        for name in ("temperature", "student_temperature", "teacher_temperature"):
            value = getattr(self, name)
            if not 0 < value < math.inf:
                raise InputError(f"{name} must be a positive finite number, got {value}")
        self._scale_checked = False

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        labels = require_labels(labels, type(self).__name__)
        if len(embeddings) < 3:
            raise InputError(
                f"SparseDistillKLDivLoss needs a query and at least 2 candidate columns, got {len(embeddings)} columns: "
                "a softmax over a single candidate is constant and trains nothing"
            )
        query, candidates = embeddings[0], embeddings[1:]
        if labels.shape != (query.shape[0], len(candidates)):
            raise InputError(
                f"SparseDistillKLDivLoss expects teacher scores of shape (batch, {len(candidates)}) = "
                f"({query.shape[0]}, {len(candidates)}), got {tuple(labels.shape)}"
            )
        student = torch.stack([self.similarity_fct(query, c) for c in candidates], dim=1) / self.student_temperature
        teacher = torch.softmax(labels.detach().to(student.dtype) / self.teacher_temperature, dim=1)
        self._check_teacher_scale(teacher)
        loss = F.kl_div(torch.log_softmax(student, dim=1), teacher, reduction="batchmean")
        return loss * self.student_temperature**2

    def _check_teacher_scale(self, teacher: torch.Tensor) -> None:
        """Warn once when the teacher distribution is (nearly) one-hot or uniform: the temperature is off."""
        if self._scale_checked:
            return
        self._scale_checked = True
        peak = teacher.max(dim=1).values.mean().item()
        uniform = 1.0 / teacher.shape[1]
        if peak > 0.999 or peak < uniform + 1e-3:
            shape = "one-hot" if peak > 0.999 else "uniform"
            logger.warning(
                "SparseDistillKLDivLoss: the teacher distribution is nearly %s at teacher_temperature=%s; "
                "rescale the teacher scores or change the temperature, or the student learns little",
                shape,
                self.teacher_temperature,
            )

    def get_config_dict(self) -> dict[str, Any]:
        config: dict[str, Any] = {"similarity_fct": function_name(self.similarity_fct), "temperature": self.temperature}
        if self.student_temperature != self.temperature:
            config["student_temperature"] = self.student_temperature
        if self.teacher_temperature != self.temperature:
            config["teacher_temperature"] = self.teacher_temperature
        return config
