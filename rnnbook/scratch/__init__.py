"""Layers written from scratch in numpy, each with a hand-written backward pass.

Every layer follows the layer protocol of :mod:`rnnbook.scratch.recurrent` and is checked
against ``torch.nn`` and ``torch.autograd`` in ``tests/``. Nothing here imports torch at
import time; ``from_torch``/``to_torch`` import it when called.
"""

from rnnbook.scratch.recurrent import RecurrentLayer
from rnnbook.scratch.rnn import RNN, rnn_step_backward, rnn_step_forward

__all__ = ["RNN", "RecurrentLayer", "rnn_step_backward", "rnn_step_forward"]
