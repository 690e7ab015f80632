"""Every string a person reads is in the zh_CN and en catalogs, translated.

Babel expands zh_CN to zh_Hans_CN when it looks for a catalog, so that is the folder's name.
"""

import subprocess
import sys

from babel.messages.pofile import read_po

from tests.live import PROJECT_ROOT

CATALOGS = PROJECT_ROOT / "mcrm" / "translations"


def _extract(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",  # the mapping in babel.cfg picks the folders, as in `make i18n-extract`
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def _catalog(locale):
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_zh_cn_and_en_translate_every_string_in_the_code(tmp_path):
    wanted = _extract(tmp_path)
    assert len(wanted) > 100
    for locale in ("zh_Hans_CN", "en"):
        catalog = _catalog(locale)
        translated = {
            (m.id if isinstance(m.id, str) else m.id[0])
            for m in catalog
            if m.id and "fuzzy" not in m.flags and (all(m.string) if isinstance(m.string, tuple) else m.string)
        }
        missing = sorted(wanted - translated)
        assert not missing, f"{locale} lacks {len(missing)} translations (run make i18n-update): {missing[:10]}"


def test_zh_cn_translations_are_chinese_and_keep_their_placeholders():
    import re

    for message in _catalog("zh_Hans_CN"):
        if not message.id or isinstance(message.id, tuple):
            continue
        placeholders = set(re.findall(r"%\(\w+\)[sd]", message.id))
        assert placeholders == set(re.findall(r"%\(\w+\)[sd]", message.string)), message.id
        assert (
            re.search(r"[\u4e00-\u9fff]", message.string)
            or not re.search(r"[A-Za-z]{3}", message.id)
            or message.id in KEPT_AS_IS
        ), f"not translated to Chinese: {message.id!r} -> {message.string!r}"


# Names that read the same in Chinese.
KEPT_AS_IS = {"M-CRM", "English"}
