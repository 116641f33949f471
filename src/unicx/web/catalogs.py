"""Which message ids the dashboard uses and which the catalogs lack.

``python -m unicx.web.catalogs`` (``make messages``) prints the missing ids of each language
as ``.po`` entries to paste into the area's file; tests/web fail while any Vietnamese one is
missing or empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from unicx.web.i18n import LANGUAGES, LOCALE_DIR

WEB_DIR = Path(__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def extracted_ids() -> set[str]:
    """Every id marked in the templates (``_()``, ``{% trans %}``) and in web/*.py (``_()``)."""
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB_DIR, METHODS, options_map=OPTIONS
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def translated(language: str, *, non_empty: bool) -> set[str]:
    ids: set[str] = set()
    for path in (LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"):
        with path.open("rb") as po:
            catalog = read_po(po, locale=language)
        ids |= {str(m.id) for m in catalog if m.id and (m.string or not non_empty)}
    return ids


def missing(language: str) -> list[str]:
    """Ids without an entry (for vi: without a non-empty translation)."""
    return sorted(extracted_ids() - translated(language, non_empty=language == "vi"))


def _po_entry(message_id: str) -> str:
    escaped = message_id.replace("\\", "\\\\").replace('"', '\\"')
    return f'msgid "{escaped}"\nmsgstr ""\n'


def main() -> int:
    gaps = {lang: missing(lang) for lang in LANGUAGES}
    for lang, ids in gaps.items():
        print(f"# {lang}: {len(ids)} missing")
        print("\n".join(_po_entry(i) for i in ids))
    return 1 if any(gaps.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
