"""Bytes to text when the declared charset may be missing, too narrow or a lie."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

# Labels senders use for a narrow charset while their software writes its superset: decoding with
# the superset reads both. (WHATWG Encoding maps most of these labels the same way.)
SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "euc-cn": "gb18030", "x-gbk": "gb18030",
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
    "iso-8859-9": "cp1254", "iso-8859-11": "cp874", "tis-620": "cp874",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "big5": "big5hkscs", "iso-8859-8-i": "iso-8859-8",
}
MIN_DETECTION_BYTES = 8  # below this, detection guesses; UTF-8 then cp1252 is the safer reading


def codec(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None when Python does not know it."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip('"').lower()).name
    except LookupError:
        return None


def candidates(declared: str | None) -> list[str]:
    """Codecs to try in order: the declared one's well-known superset (which reads everything the
    declared one does, as WHATWG decoders do), the declared one, then UTF-8."""
    out: list[str] = []
    label = (declared or "").strip().strip('"').lower()
    for name in (SUPERSETS.get(label), label, "utf-8"):
        found = codec(name)
        if found and found not in out:
            out.append(found)
    return out


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Text and the codec that read it: declared, superset, UTF-8, detection, then cp1252."""
    names = candidates(declared)
    if names[0] != "utf-8" and not names[0].startswith("utf") and not data.isascii():
        # Multi-byte UTF-8 almost never decodes by chance, while a legacy codec reads UTF-8
        # bytes "successfully" as mojibake: valid UTF-8 wins over a label that says otherwise.
        names.remove("utf-8")
        names.insert(0, "utf-8")
    for name in names:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    detected = detect(data)
    if detected:
        try:
            return data.decode(detected), detected
        except (UnicodeDecodeError, LookupError):
            pass
    # cp1252 leaves five bytes undefined; only those become U+FFFD, the rest of the text survives.
    return data.decode("cp1252", errors="replace"), "cp1252"


def detect(data: bytes) -> str | None:
    """The most likely codec of undeclared bytes (charset-normalizer), or None when unsure."""
    if len(data) < MIN_DETECTION_BYTES:
        return None
    best = from_bytes(data).best()
    return codec(best.encoding) if best is not None else None


def looks_misdecoded(text: str) -> bool:
    """True when text read as a single-byte charset is probably UTF-8 or a CJK charset instead."""
    if not text:
        return False
    high = sum(1 for ch in text if "\u00c0" <= ch <= "\u00ff")
    return high >= 4 and high / max(1, sum(1 for ch in text if not ch.isascii())) > 0.6
