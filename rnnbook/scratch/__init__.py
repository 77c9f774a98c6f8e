"""Layers written from scratch in numpy, each with a hand-written backward pass.

Every recurrent layer follows the layer protocol of :mod:`rnnbook.scratch.recurrent`
(``forward(x, state, *, lengths) -> (out, state_n)``, ``backward(d_out, d_state_n) ->
(dx, d_state0)``, torch's parameter names) and is checked against ``torch.nn`` and
``torch.autograd`` in ``tests/``. The wrappers :class:`Bidirectional` and :class:`Stacked`
take any of them. Nothing here imports torch at import time; ``from_torch``/``to_torch``
import it when called.
"""

from rnnbook.scratch.bidirectional import Bidirectional
from rnnbook.scratch.gru import GRU
from rnnbook.scratch.lstm import LSTM
from rnnbook.scratch.recurrent import RecurrentLayer
from rnnbook.scratch.rnn import RNN, rnn_step_backward, rnn_step_forward
from rnnbook.scratch.stacked import Stacked

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "RecurrentLayer",
    "Stacked",
    "rnn_step_backward",
    "rnn_step_forward",
]
