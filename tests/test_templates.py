"""Template wiring that no single page test would notice."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "hotline" / "web" / "templates"
IMPORT = re.compile(r'{%-?\s*from\s+"_macros\.html"\s+import\s+([^%]*?)\s*-?%}')


def test_every_template_that_writes_a_csrf_field_imports_it_with_the_token() -> None:
    """`csrf()` reads the request's token from the context: imported without it, every form on the
    page posts an empty token and is refused (QA found the phrasing suggestions page so)."""
    wrong = []
    for path in sorted(TEMPLATES.glob("*.html")):
        text = path.read_text(encoding="utf-8")
        if "csrf()" not in text or "{% macro csrf" in text:
            continue
        imports = IMPORT.findall(text)
        if not any(re.search(r"\bcsrf\b", names) and names.endswith("with context") for names in imports):
            wrong.append(path.name)
    assert wrong == []


def test_no_template_relies_on_an_inline_script() -> None:
    """The pages' CSP refuses inline scripts: an onsubmit="return confirm(…)" never ran (QA: one click
    deleted a year of holidays). Confirmations go through data-confirm, which app.js reads."""
    import re
    from pathlib import Path

    import hotline.web

    folder = Path(hotline.web.__file__).parent / "templates"
    inline = re.compile(r"\son(submit|click|change|load|input)\s*=", re.IGNORECASE)
    found = [p.name for p in folder.glob("*.html") if inline.search(p.read_text(encoding="utf-8"))]
    assert found == [], found
