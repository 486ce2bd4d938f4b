"""Close-date slip: the chance an open deal is decided (won or lost) inside the period, or
slips out of it.

Learned from the training set (``training``): for every snapshot row, whether its deal was
decided with a close date inside the row's period. The close date the rep entered is one
feature among many (``close_to_period_end``, ``days_to_close``, ``pushes``, stage, age,
time in stage, activity): a close date already pushed twice, in the past, on a deal nobody
touched for weeks slips far more often than the date says. A deal without a close date
(an export that has none on open deals) is placed by the same model from its age and stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from revops.engines.forecast.training import TrainingSet
from revops.engines.forecast.win_model import ROUNDS, Classifier, fit_classifier


@dataclass
class SlipModel:
    classifier: Classifier

    def in_period(self, X: pd.DataFrame) -> np.ndarray:
        """P(decided inside the period) per deal row."""
        return self.classifier.predict(X)


def train_slip_model(data: TrainingSet, seed: int = 7, rounds: int = ROUNDS) -> SlipModel:
    return SlipModel(fit_classifier(data.X, data.decided, seed, rounds))
