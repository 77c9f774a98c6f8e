"""Synthetic sequence tasks, generated in code: nothing is downloaded.

One task per module. Every generator takes a seed or a ``numpy.random.Generator``,
returns numpy arrays with documented shapes inside a :class:`~rnnbook.tasks.base.TaskData`,
states its chance-level baseline, and raises ``ValueError`` for bad arguments.
"""
