"""GracefulInterrupt: on Ctrl-C, finish the current step, save a resumable checkpoint and stop."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

logger = logging.getLogger(__name__)


class GracefulInterrupt(TrainerCallback):
    """The first Ctrl-C (SIGINT) asks the trainer to save a checkpoint after the current step and
    stop; a second one aborts at once. ``interrupted`` tells afterwards whether it happened. The
    handler is installed only while training runs, and only from the main thread."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupted = False
        self._previous: Any = None

    def request_stop(self, signum: int | None = None, frame: Any = None) -> None:
        """What Ctrl-C does: the first call requests a save-and-stop, the second raises KeyboardInterrupt."""
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        logger.warning("interrupted: saving a checkpoint after this step (Ctrl-C again to abort without saving)")

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self.request_stop)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any) -> None:
        if self.interrupted:
            control.should_save = True
            control.should_training_stop = True

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the previous Ctrl-C handler back (also call it when training ends with an error)."""
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
