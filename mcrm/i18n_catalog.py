"""Keeps the en catalog complete: English is the source language, so its translation is the msgid.

Run by `make i18n-update` after `pybabel update`; zh_CN is translated by people.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def fill_source_catalog(path: Path) -> int:
    """Copy each msgid into its empty msgstr; returns how many were filled."""
    with path.open("rb") as f:
        catalog = read_po(f)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            if not all(message.string):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, sort_output=True, omit_header=False)
    return filled


if __name__ == "__main__":
    print(f"filled {fill_source_catalog(Path(sys.argv[1]))} en messages")
