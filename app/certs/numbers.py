"""Certificate numbers: CE + year + "-" + 8 random characters + a check character (CE2026-7K3M9QX2P).

Random, so that nobody can walk through every certificate by counting; a check character
(ISO 7064 MOD 37,36) so that a mistyped number is told apart from a forged one. The check catches
every single typo but only about 99.9 % of swapped neighbours, so a new number is drawn again until
every swap of two neighbours in it (the check character included) is caught too.
"""
import re
import secrets

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
RANDOM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O, U
BODY_LENGTH = 8
PATTERN = re.compile(rf"^CE(\d{{4}})-([0-9A-Z]{{{BODY_LENGTH + 1}}})$")
# What people type instead (Crockford's reading rules), and dashes that sneak in from copying.
_LOOK_ALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DASHES = str.maketrans({"—": "-", "－": "-", "–": "-", "‐": "-"})


def check_char(text):
    """ISO 7064 MOD 37,36: one character from 0-9A-Z that catches every single typo."""
    m = 36
    p = m
    for ch in text:
        p = (p + ALPHABET.index(ch)) % m or m
        p = (p * 2) % (m + 1)
    return ALPHABET[(m + 1 - p) % m]


def _swaps_caught(compact):
    """Whether swapping any two neighbours after the year breaks the check of `compact`."""
    for i in range(6, len(compact) - 1):
        swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
        if swapped != compact and check_char(swapped[:-1]) == swapped[-1]:
            return False
    return True


def new_number(year):
    while True:
        body = "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(BODY_LENGTH))
        compact = f"CE{year}{body}{check_char(f'CE{year}{body}')}"
        if _swaps_caught(compact):
            return f"{compact[:6]}-{compact[6:]}"


def normalise(raw):
    """Upper case, no spaces, full-width and look-alike characters read as meant."""
    text = (raw or "").translate(_DASHES)
    text = text.translate({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)})  # full-width → ASCII
    text = re.sub(r"\s+", "", text).upper()
    if not text.startswith("CE"):
        return text
    # The random part never holds I, L or O; the check character (last) may, so it stays as typed.
    return "CE" + text[2:-1].translate(_LOOK_ALIKE) + text[-1]


def problem(number):
    """Why `number` (normalised) cannot be one of ours, or None when its form and check are right."""
    match = PATTERN.match(number)
    if not match:
        return "format"
    year, tail = match.groups()
    if check_char(f"CE{year}{tail[:-1]}") != tail[-1]:
        return "check"
    return None
