"""Layers written from scratch in numpy, each with a hand-written backward pass.

Every layer is checked against ``torch.nn`` and ``torch.autograd`` in ``tests/``.
"""

from rnnbook.scratch.rnn import RNN, RNNCache, rnn_backward, rnn_forward

__all__ = ["RNN", "RNNCache", "rnn_backward", "rnn_forward"]
