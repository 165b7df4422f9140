"""Binary classification by a score threshold: best accuracy, best F1, average precision and MCC.

``greater_is_better=True`` means a pair is predicted positive when its score is at least the
threshold (similarities); ``False`` means when it is at most the threshold (distances). A
threshold lies halfway between two consecutive distinct scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ThresholdScores:
    """Best accuracy and best F1 with their thresholds, the precision and recall at the F1 threshold, AP and MCC."""

    accuracy: float
    accuracy_threshold: float
    f1: float
    f1_threshold: float
    precision: float
    recall: float
    ap: float
    mcc: float

    def to_dict(self) -> dict[str, float]:
        """Metric name -> value, with the sentence-transformers names."""
        return {key: float(getattr(self, key)) for key in self.__dataclass_fields__}


def classify(scores: np.ndarray, labels: np.ndarray, greater_is_better: bool = True) -> ThresholdScores:
    """Every metric for ``scores`` against 0/1 ``labels``."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    accuracy, accuracy_threshold = best_accuracy(scores, labels, greater_is_better)
    f1, precision, recall, f1_threshold = best_f1(scores, labels, greater_is_better)
    signed = scores if greater_is_better else -scores
    predicted = signed >= (f1_threshold if greater_is_better else -f1_threshold)
    return ThresholdScores(
        accuracy, accuracy_threshold, f1, f1_threshold, precision, recall,
        average_precision(signed, labels), matthews_corrcoef(labels, predicted),
    )


def _cut_points(scores: np.ndarray, labels: np.ndarray, greater_is_better: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores best first; for each last position of a group of equal scores: positives and count predicted so far."""
    order = np.argsort(-scores if greater_is_better else scores, kind="stable")
    ranked, ranked_labels = scores[order], labels[order]
    ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    return ranked, ends, np.cumsum(ranked_labels)[ends]


def _threshold(ranked: np.ndarray, end: int) -> float:
    """Halfway between the score at ``end`` and the next distinct one (the score itself at the end)."""
    if end + 1 >= len(ranked):
        return float(ranked[end])
    middle = (ranked[end] + ranked[end + 1]) / 2
    return float(ranked[end] if middle == ranked[end + 1] else middle)


def best_accuracy(scores: np.ndarray, labels: np.ndarray, greater_is_better: bool = True) -> tuple[float, float]:
    """``(accuracy, threshold)`` of the best threshold; predicting all negative is a candidate too."""
    ranked, ends, positives = _cut_points(scores, labels, greater_is_better)
    total, negatives = len(labels), int((labels == 0).sum())
    best = negatives / total
    step = 1.0 if greater_is_better else -1.0
    threshold = float(np.nextafter(ranked[0], np.inf * step)) if total else 0.0
    for end, hits in zip(ends.tolist(), positives.tolist()):
        negatives_left = negatives - (end + 1 - hits)
        accuracy = (hits + negatives_left) / total
        if accuracy > best:
            best, threshold = accuracy, _threshold(ranked, end)
    return best, threshold


def best_f1(scores: np.ndarray, labels: np.ndarray, greater_is_better: bool = True) -> tuple[float, float, float, float]:
    """``(f1, precision, recall, threshold)`` of the threshold with the best F1 (all 0 without positives)."""
    ranked, ends, positives = _cut_points(scores, labels, greater_is_better)
    relevant = int(labels.sum())
    best = (0.0, 0.0, 0.0, 0.0)
    for end, hits in zip(ends.tolist(), positives.tolist()):
        if hits == 0:
            continue
        precision, recall = hits / (end + 1), hits / relevant
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best[0]:
            best = (f1, precision, recall, _threshold(ranked, end))
    return best


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall step curve, one step per distinct score (higher = more positive)."""
    relevant = int(labels.sum())
    if relevant == 0:
        return 0.0
    _, ends, positives = _cut_points(scores, labels, True)
    precision = positives / (ends + 1)
    recall_gain = np.diff(np.concatenate([[0], positives])) / relevant
    return float(np.sum(precision * recall_gain))


def matthews_corrcoef(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Matthews correlation of 0/1 labels and boolean predictions (0 when undefined)."""
    labels, predicted = np.asarray(labels).astype(bool), np.asarray(predicted).astype(bool)
    tp = float(np.sum(labels & predicted))
    tn = float(np.sum(~labels & ~predicted))
    fp = float(np.sum(~labels & predicted))
    fn = float(np.sum(labels & ~predicted))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denominator) if denominator > 0 else 0.0
