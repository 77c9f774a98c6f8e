"""Repo-wide pytest configuration.

nbval already skips ``image/png`` outputs, but a figure glued with MyST-NB's ``glue``
is stored under ``application/papermill.record/image/png`` too, and PNG bytes are not
reproducible across matplotlib builds. Skip that key as well; everything else a
notebook prints is compared exactly.
"""


def pytest_collectstart(collector):
    if hasattr(collector, "skip_compare"):
        collector.skip_compare = (*collector.skip_compare, "application/papermill.record/image/png")
