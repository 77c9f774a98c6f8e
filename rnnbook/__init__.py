"""rnnbook: recurrent neural networks from scratch in numpy, checked against PyTorch.

The package follows the book. Each module holds one concept, and the subpackages say what
kind of code lives in them:

* :mod:`rnnbook.scratch` - numpy layers with hand-written backward passes, all on one layer
  protocol (:mod:`rnnbook.scratch.recurrent`); torch-free at import;
* :mod:`rnnbook.models` - PyTorch ``nn.Module`` s only;
* :mod:`rnnbook.training` - training loops (numpy and torch), one :class:`History`, one
  :class:`TrainingDiverged`, and the seed runner;
* :mod:`rnnbook.analysis` - measurements: Jacobians, gradient flow, contributions, costs;
* :mod:`rnnbook.plots` - figures and diagrams drawn in code;
* :mod:`rnnbook.tasks` - the synthetic data sets, generated in code;
* :mod:`rnnbook.checks`, :mod:`rnnbook.gradcheck`, :mod:`rnnbook.notebook` - argument
  validation, gradient checking, and the set-up call at the top of every chapter.

:data:`CHAPTER_MODULES` lists, for each chapter notebook, the modules it imports; a test
fails when a chapter imports a module that is not listed for it. The table below is built
from it.
"""

__version__ = "0.1.0"

#: Chapter notebook (file stem in ``book/``) -> the ``rnnbook`` modules it imports.
CHAPTER_MODULES: dict[str, tuple[str, ...]] = {}


def _chapter_table() -> str:
    lines = ["", "Chapter -> modules", "------------------", ""]
    for chapter, modules in CHAPTER_MODULES.items():
        lines.append(f"* ``{chapter}``: " + ", ".join(f":mod:`{m}`" for m in modules))
    return "\n".join(lines) + "\n"


__doc__ = (__doc__ or "") + _chapter_table()
