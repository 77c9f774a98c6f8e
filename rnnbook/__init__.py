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
CHAPTER_MODULES: dict[str, tuple[str, ...]] = {
    "01_what_is_an_rnn": (
        "rnnbook.analysis.baselines",
        "rnnbook.models.elman_jordan",
        "rnnbook.notebook",
        "rnnbook.plots.diagrams",
        "rnnbook.scratch.one_hot",
        "rnnbook.scratch.rnn",
        "rnnbook.tasks.periodic",
        "rnnbook.tasks.steep",
        "rnnbook.training.loop",
        "rnnbook.training.per_step",
        "rnnbook.training.seeds",
    ),
    "02_types_of_rnn": (
        "rnnbook.analysis.state_gradients",
        "rnnbook.models.io_shapes",
        "rnnbook.notebook",
        "rnnbook.plots.diagrams",
        "rnnbook.plots.seed_curves",
        "rnnbook.tasks.negation",
        "rnnbook.tasks.number_words",
        "rnnbook.tasks.tagging",
        "rnnbook.training.io_shape_experiments",
        "rnnbook.training.seeds",
    ),
    "03_bptt": (
        "rnnbook.analysis.bptt_memory",
        "rnnbook.analysis.contributions",
        "rnnbook.analysis.jacobians",
        "rnnbook.analysis.profiling",
        "rnnbook.analysis.projection",
        "rnnbook.gradcheck",
        "rnnbook.notebook",
        "rnnbook.optim",
        "rnnbook.plots.backward_flow",
        "rnnbook.plots.bptt",
        "rnnbook.scratch.char_lm",
        "rnnbook.scratch.linear",
        "rnnbook.scratch.one_hot",
        "rnnbook.scratch.recurrent",
        "rnnbook.scratch.rnn",
        "rnnbook.scratch.softmax_cross_entropy",
        "rnnbook.scratch.truncated_bptt",
        "rnnbook.tasks.delayed_recall",
        "rnnbook.training.delayed_recall",
        "rnnbook.training.seeds",
    ),
    "04_char_rnn": (
        "rnnbook.analysis.grammar_oracle",
        "rnnbook.analysis.language_model",
        "rnnbook.models.char_rnn",
        "rnnbook.notebook",
        "rnnbook.optim",
        "rnnbook.sampling",
        "rnnbook.scratch.char_lm",
        "rnnbook.scratch.clipping",
        "rnnbook.tasks.grammar_text",
        "rnnbook.text",
        "rnnbook.training.char_rnn",
        "rnnbook.training.seeds",
        "rnnbook.training.tbptt",
    ),
    "05_vanishing_exploding": (
        "rnnbook.analysis.cliff",
        "rnnbook.analysis.diagnostics",
        "rnnbook.analysis.echo_state",
        "rnnbook.analysis.gradient_flow",
        "rnnbook.analysis.jacobians",
        "rnnbook.initialization",
        "rnnbook.models.adding",
        "rnnbook.models.initialization",
        "rnnbook.models.layer_norm_rnn",
        "rnnbook.notebook",
        "rnnbook.plots.cliff",
        "rnnbook.scratch.clipping",
        "rnnbook.scratch.rnn",
        "rnnbook.tasks.adding",
        "rnnbook.tasks.mackey_glass",
        "rnnbook.training.adding",
        "rnnbook.training.clipping",
        "rnnbook.training.history",
        "rnnbook.training.seeds",
    ),
    "06_adding_problem": (
        "rnnbook.analysis.diagnostics",
        "rnnbook.analysis.gradient_flow",
        "rnnbook.models.adding",
        "rnnbook.notebook",
        "rnnbook.plots.seed_spread",
        "rnnbook.tasks.adding",
        "rnnbook.training.adding_experiments",
    ),
    "06_adding_problem_lab": (
        "rnnbook.notebook",
        "rnnbook.tasks.adding",
        "rnnbook.training.adding_experiments",
    ),
    "07_lstm_gru": (
        "rnnbook.analysis.jacobians",
        "rnnbook.models.adding",
        "rnnbook.models.gated",
        "rnnbook.models.lstm_variants",
        "rnnbook.notebook",
        "rnnbook.plots.gated_cells",
        "rnnbook.scratch.gru",
        "rnnbook.scratch.lstm",
        "rnnbook.scratch.rnn",
        "rnnbook.tasks.adding",
        "rnnbook.training.adding",
        "rnnbook.training.gated_experiments",
        "rnnbook.training.seeds",
    ),
    "07_lstm_gru_lab": (
        "rnnbook.models.gated",
        "rnnbook.notebook",
        "rnnbook.training.gated_experiments",
        "rnnbook.training.seeds",
    ),
    "08_bidirectional_deep": (
        "rnnbook.models.sequence_tagger",
        "rnnbook.notebook",
        "rnnbook.plots.bidirectional",
        "rnnbook.scratch.bidirectional",
        "rnnbook.scratch.rnn",
        "rnnbook.scratch.stacked",
        "rnnbook.tasks.next_smaller",
        "rnnbook.tasks.right_context",
        "rnnbook.tasks.tagging",
        "rnnbook.training.seeds",
        "rnnbook.training.sequence_tagging",
    ),
    "08_bidirectional_deep_lab": (
        "rnnbook.models.regularized_tagger",
        "rnnbook.notebook",
        "rnnbook.tasks.next_smaller",
        "rnnbook.training.seeds",
        "rnnbook.training.sequence_tagging",
    ),
    "09_attention": (
        "rnnbook.analysis.bleu",
        "rnnbook.gradcheck",
        "rnnbook.models.decoding",
        "rnnbook.models.seq2seq",
        "rnnbook.notebook",
        "rnnbook.plots.attention",
        "rnnbook.scratch.attention",
        "rnnbook.scratch.linear_recurrence",
        "rnnbook.tasks.reversal",
        "rnnbook.training.seq2seq_experiments",
    ),
    "09_attention_lab": (
        "rnnbook.notebook",
        "rnnbook.plots.attention",
        "rnnbook.training.seeds",
        "rnnbook.training.seq2seq_experiments",
    ),
}


def _chapter_table() -> str:
    lines = ["", "Chapter -> modules", "------------------", ""]
    for chapter, modules in CHAPTER_MODULES.items():
        lines.append(f"* ``{chapter}``: " + ", ".join(f":mod:`{m}`" for m in modules))
    return "\n".join(lines) + "\n"


__doc__ = (__doc__ or "") + _chapter_table()
