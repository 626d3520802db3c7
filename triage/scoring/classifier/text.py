"""Text clean-up shared by training and serving, so both embed exactly the same string."""

from __future__ import annotations

import hashlib
import re

from triage.core.message import MAX_TEXT_CHARS

# MiniLM reads at most 256 word pieces; ~2,000 characters covers that with room to spare,
# and tokenizing 50 KB per message would cost more than the model call itself.
MODEL_TEXT_CHARS = 2_000

_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_RT = re.compile(r"^(rt\s+@\w+:?\s*)+", re.IGNORECASE)
_MENTION = re.compile(r"@\w+")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# E-mail greetings and pleasantries: they carry no urgency but dominate a short e-mail's embedding.
_BOILERPLATE = re.compile(
    r"^\s*(dear|hi|hello|hey|greetings|sehr geehrte[rs]?|liebe[rs]?|hallo|guten tag)\b[^\n]{0,60}\n"
    r"|i hope (this|my|the) (message|e-?mail|note|letter) (finds|reaches) you[^.!\n]*[.!]?"
    r"|\b((best|kind|warm) )?regards,?[ \t]*(\n.*)?$"
    r"|\b(mit freundlichen grüßen|viele grüße|beste grüße)\b.*$", re.IGNORECASE | re.MULTILINE | re.DOTALL)


def scrub(text: str) -> str:
    """Drop lone surrogates and NULs left by invalid UTF-8 so no encoder chokes on them."""
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return text.replace("\x00", " ").replace("\ufffd", " ")


def normalize(text: str) -> str:
    """Key and model input: lowercase, no URLs, no RT prefix, handles as @user, one space."""
    text = scrub(text[:MAX_TEXT_CHARS])
    text = _URL.sub(" ", text)
    text = _RT.sub("", text.strip())
    text = _BOILERPLATE.sub(" ", text)
    text = _MENTION.sub("@user", text)
    return _SPACE.sub(" ", text).strip().lower()[:MODEL_TEXT_CHARS]


def text_key(normalized: str) -> str:
    """Stable short key for caches (memory and disk)."""
    return hashlib.sha1(normalized.encode("utf-8")).hexdigest()


def has_words(text: str) -> bool:
    """False for empty, emoji-only or link-only text: there is nothing for the model to read."""
    return bool(_WORD.search(_MENTION.sub(" ", _URL.sub(" ", text))))
