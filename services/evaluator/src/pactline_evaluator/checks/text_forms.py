"""The normal forms texts are compared in (docs/evaluation.md, "Text forms").

Canonically equivalent texts (NFC vs NFD) are the same text, and invisible format characters
(zero-width spaces and joiners, bidi controls: Unicode category Cf) must not hide a phrase.
"""

from __future__ import annotations

import unicodedata


def matching_form(text: str) -> str:
    """NFC with every format character (category Cf) removed."""
    nfc = unicodedata.normalize("NFC", text)
    if nfc.isascii():
        return nfc
    return "".join(ch for ch in nfc if unicodedata.category(ch) != "Cf")


def folded(text: str) -> str:
    """Case-insensitive form: casefold, then NFC again (casefolding can decompose)."""
    return unicodedata.normalize("NFC", text.casefold())


def pii_form(text: str) -> str:
    """NFKC with format characters removed: full-width digits and letters become ASCII, so a
    number written in another script's compatibility forms is still found."""
    nfkc = unicodedata.normalize("NFKC", text)
    if nfkc.isascii():
        return nfkc
    return "".join(ch for ch in nfkc if unicodedata.category(ch) != "Cf")
