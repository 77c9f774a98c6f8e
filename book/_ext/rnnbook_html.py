"""The rendered book's HTML: what Jupyter Book 1 does not do out of the box.

- Adds ``book/_static/rnnbook.css`` (wide display maths scrolls inside its own box) and
  ``rnnbook-search.js`` (search summaries show inline maths without its ``\\(`` ``\\)``).
- Drops duplicate inline scripts: Sphinx 7.4 emits sphinx-thebe's configuration script
  twice, and the second copy throws "Identifier 'THEBE_JS_URL' has already been declared".
- Registers the pybtex style ``rnnbook_author_year``: bibliography labels read
  "Elman, 1990" and "Graves et al., 2013", the same text as the in-text citations
  (``bibtex_reference_style: author_year``), sorted by author and year.
- Ends each bibliography entry with the chapters that cite it.
- Renders the maths of a heading in the cross-references to it: a ``{ref}`` to
  "The initial state $h_0$" otherwise shows the raw TeX "h_0".

MathJax 3 and its TeX fonts are served from the build by ``sphinx-mathjax-offline``.
"""

from collections import Counter
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.style.names.last import LastNameStyle

STATIC = Path(__file__).resolve().parent.parent / "_static"


# ---- bibliography labels: author-year, as in the text ---------------------------------


class AuthorYearLabelStyle(BaseLabelStyle):
    """'Elman, 1990', 'Williams and Zipser, 1989', 'Graves et al., 2013' (a, b on clashes)."""

    def format_labels(self, sorted_entries):
        labels = [self._label(entry) for entry in sorted_entries]
        clashes = Counter(labels)
        seen: Counter = Counter()
        for label in labels:
            if clashes[label] > 1:
                seen[label] += 1
                label += "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            yield label

    @staticmethod
    def _label(entry) -> str:
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [LastNameStyle().format(p).format().render_as("text") for p in persons]
        if len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        elif names:
            who = f"{names[0]} et al."
        else:
            who = entry.fields.get("title", entry.key)
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "rnnbook_author_year"
    default_sorting_style = "author_year_title"


# ---- duplicate inline scripts ----------------------------------------------------------


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        key = (script.filename or "", tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


# ---- "Cited in" under each bibliography entry ------------------------------------------


def _chapter_title(env, docname: str) -> str:
    title = env.titles[docname].astext()
    number = env.toc_secnumbers.get(docname, {}).get("")
    return f"{'.'.join(map(str, number))}. {title}" if number else title


def _add_cited_in(app, doctree, fromdocname):
    domain = app.env.get_domain("cite")
    if not any(key.docname == fromdocname for key in domain.bibliographies):
        return
    key_of = {c.citation_id: c.key for c in domain.citations}
    order = {doc: i for i, doc in enumerate(_reading_order(app))}
    citing: dict[str, set[str]] = {}
    for ref in domain.citation_refs:
        for target in ref.targets:
            citing.setdefault(target.key, set()).add(ref.docname)
    for citation in doctree.findall(nodes.citation):
        key = next((key_of[i] for i in citation["ids"] if i in key_of), None)
        docnames = sorted(citing.get(key, ()), key=lambda d: order.get(d, len(order)))
        if not docnames:
            continue
        para = nodes.paragraph(classes=["cited-in"])
        para += nodes.Text("Cited in ")
        for i, docname in enumerate(docnames):
            if i:
                para += nodes.Text("; ")
            uri = app.builder.get_relative_uri(fromdocname, docname)
            para += nodes.reference("", _chapter_title(app.env, docname), internal=True, refuri=uri)
        para += nodes.Text(".")
        citation += para


def _reading_order(app) -> list[str]:
    """Documents in table-of-contents order (the order of prev/next)."""
    env = app.env
    order, stack = [], [app.config.root_doc]
    while stack:
        doc = stack.pop(0)
        if doc in order:
            continue
        order.append(doc)
        stack[:0] = env.toctree_includes.get(doc, [])
    return order


# ---- maths in headings, in the cross-references to them --------------------------------


def _collect_math_titles(app, doctree):
    """Remember the title nodes of this document's sections whose heading holds maths."""
    store = _math_titles(app.env)
    docname = app.env.docname
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is None or not any(True for _ in title.findall(nodes.math)):
            continue
        for node_id in section["ids"]:
            store[(docname, node_id)] = [child.deepcopy() for child in title.children]


def _math_titles(env) -> dict:
    if not hasattr(env, "rnnbook_math_titles"):
        env.rnnbook_math_titles = {}
    return env.rnnbook_math_titles


def _purge(app, env, docname):
    store = _math_titles(env)
    for key in [key for key in store if key[0] == docname]:
        del store[key]


def _merge(app, env, docnames, other):
    _math_titles(env).update(
        {key: val for key, val in _math_titles(other).items() if key[0] in docnames}
    )


def _render_math_in_refs(app, doctree, fromdocname):
    store = _math_titles(app.env)
    if not store:
        return
    for inline in list(doctree.findall(nodes.inline)):
        if "std-ref" not in inline["classes"] or not isinstance(inline.parent, nodes.reference):
            continue
        ref = inline.parent
        uri, _, anchor = ref.get("refuri", "").partition("#")
        if "refid" in ref or not uri:
            target = (fromdocname, ref.get("refid", anchor))
        else:
            target = next(
                (
                    (doc, anchor)
                    for doc, node_id in store
                    if node_id == anchor and app.builder.get_relative_uri(fromdocname, doc) == uri
                ),
                None,
            )
        children = store.get(target)
        if children and inline.astext() == "".join(child.astext() for child in children):
            inline.children = []
            inline += [child.deepcopy() for child in children]


def _static_path(app):
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    register_plugin("pybtex.style.labels", "rnnbook_author_year", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "rnnbook_author_year", AuthorYearStyle)
    app.connect("builder-inited", _static_path)
    app.add_css_file("rnnbook.css")
    app.add_js_file("rnnbook-search.js")
    app.connect("html-page-context", _drop_duplicate_scripts)
    app.connect("doctree-resolved", _add_cited_in)
    app.connect("doctree-read", _collect_math_titles)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-resolved", _render_math_in_refs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
