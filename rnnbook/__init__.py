"""rnnbook: recurrent neural networks from scratch in numpy, checked against PyTorch.

The package follows the book. Each module holds one concept:

* :mod:`rnnbook.notebook` - the setup call at the top of every chapter;
* :mod:`rnnbook.checks` - argument validation with "expected ..., got ..." errors;
* :mod:`rnnbook.scratch` - numpy layers with hand-written backward passes;
* :mod:`rnnbook.gradcheck` - central-difference gradient checks;
* :mod:`rnnbook.clipping` - gradient clipping by value and by global norm;
* :mod:`rnnbook.training` - a compact PyTorch training loop that refuses to diverge silently.
"""

__version__ = "0.1.0"
