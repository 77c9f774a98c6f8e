"""Serve MathJax from the built book instead of a CDN, so the math renders offline.

MathJax 2 ships inside the pinned ``jupyter-server-mathjax`` package. When the HTML
build finishes, this extension copies it to ``_build/html/_static/mathjax``, which is
where ``mathjax_path`` in ``_config.yml`` points.
"""

import shutil
from pathlib import Path

import jupyter_server_mathjax


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
