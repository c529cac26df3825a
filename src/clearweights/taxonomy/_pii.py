"""Personal data and secrets in seed contexts, questions and answers.

Each detector finds candidates with a cheap regular expression and keeps only those that pass
the real check (Luhn for cards, ISO 13616 mod-97 for IBANs, ``phonenumbers`` validity for
phone numbers), so dates, version numbers and ISBNs are not reported. Found values are masked
in messages: a report must not spread what it warns about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

PHONE_REGIONS = ("US", "GB", "DE", "FR")  # national formats checked besides +international ones


@dataclass(frozen=True)
class PiiMatch:
    """One finding: the kind (``email``, ``phone``...), where it starts, and a masked value."""

    kind: str
    start: int
    masked: str
    detail: str


def mask(value: str) -> str:
    """Keep the first two and last two visible characters; star the rest."""
    visible = [i for i, c in enumerate(value) if c.isalnum()]
    keep = set(visible[:2] + visible[-2:]) if len(visible) > 6 else set(visible[:1])
    return "".join(c if i in keep or not c.isalnum() else "*" for i, c in enumerate(value))


_EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)
# RFC 2606 / 6761 names are documentation, not people.
_RESERVED_DOMAINS = re.compile(
    r"@(?:[\w-]+\.)*(?:example\.(?:com|org|net)|[\w-]+\.(?:example|test|invalid|localhost))$", re.I
)


def _emails(text: str) -> Iterator[PiiMatch]:
    for m in _EMAIL.finditer(text):
        if not _RESERVED_DOMAINS.search(m.group()):
            yield PiiMatch("email", m.start(), mask(m.group()), "an email address")


def luhn(digits: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_CARD = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d,]|\.\d)")
# Issuer prefixes (IIN ranges) of the card networks; ISBNs (978/979) start with none of them.
_CARD_PREFIX = re.compile(
    r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3[0689]|6(?:011|5|4[4-9]|2)|35)"
)


def _cards(text: str) -> Iterator[PiiMatch]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and luhn(digits):
            yield PiiMatch("payment-card", m.start(), mask(m.group()), "a payment card number")


_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
    "AE": 23, "SA": 24, "IL": 23, "BR": 29, "UA": 29,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    """ISO 13616: the country's length and the mod-97 check digits."""
    iban = candidate.replace(" ", "")
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _ibans(text: str) -> Iterator[PiiMatch]:
    for m in _IBAN.finditer(text):
        if iban_valid(m.group()):
            yield PiiMatch("iban", m.start(), mask(m.group()), "an IBAN (bank account)")


_NATIONAL_IDS = (
    # US Social Security number, dashed (area 000, 666 and 9xx are never issued).
    (
        re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),
        "a US social security number",
    ),
    # UK National Insurance number.
    (
        re.compile(r"\b(?![DFIQUV])[A-Z](?![DFIOQUV])[A-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
        "a UK National Insurance number",
    ),
)  # fmt: skip


def _national_ids(text: str) -> Iterator[PiiMatch]:
    for pattern, detail in _NATIONAL_IDS:
        for m in pattern.finditer(text):
            yield PiiMatch("national-id", m.start(), mask(m.group()), detail)


_PHONE = re.compile(r"(?<![\w.,/-])(?:\+|00)?\(?\d(?:[\d ()-]|\.(?=\d)){5,18}\d(?![\w.,/-]*\d)")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_ISBN_BEFORE = re.compile(r"ISBN(?:-1[03])?:?\s*$", re.I)


def _isbn(digits: str) -> bool:
    if len(digits) == 13 and digits.startswith(("978", "979")):
        return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10:
        return sum((10 - i) * int(d) for i, d in enumerate(digits)) % 11 == 0
    return False


def _phone_candidate(text: str, m: re.Match[str]) -> bool:
    raw = m.group()
    digits = re.sub(r"\D", "", raw)
    international = raw.startswith(("+", "00"))
    # National numbers with an area code have 9+ digits; shorter runs are order or invoice ids.
    if not (8 if international else 9) <= len(digits) <= 15 or _DATE.match(raw.strip()):
        return False
    bare = raw.strip("()")
    if bare.isdigit() or re.fullmatch(r"\d{3}-\d{2}-\d{4}", raw):
        return False  # a bare number (a count, an id), or the shape of a US SSN
    if "." in raw and " " not in raw and not international and raw.count(".") != 2:
        return False  # 1.2.3.4 versions, 12.2024 dates, decimals ("415.555.2671" stays)
    if _ISBN_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
        return False
    isbn_shaped = raw.count("-") == 3 and not re.search(r"[ ()]", raw)
    return not (isbn_shaped or len(digits) == 13) or not _isbn(digits)


def _phones(text: str, regions: tuple[str, ...]) -> Iterator[PiiMatch]:
    try:
        import phonenumbers
    except ImportError:  # reported once by the validator as an incomplete check
        return
    for m in _PHONE.finditer(text):
        if not _phone_candidate(text, m):
            continue
        raw = m.group().strip()
        international = raw.startswith(("+", "00"))
        for region in (None,) if international else regions:
            number = "+" + raw[2:] if raw.startswith("00") else raw
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                yield PiiMatch("phone", m.start(), mask(raw), "a phone number")
                break


# Well-known credential formats (the providers document these prefixes so scanners can find
# them), plus private key blocks and keyword assignments with a long random-looking value.
_SECRETS = (
    (re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----"), "a private key"),
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_\w{22,255}"), "a GitHub token"),
    (re.compile(r"\bglpat-[\w-]{20,}"), "a GitLab token"),
    (re.compile(r"\bxox[abposr]-[\w-]{10,}"), "a Slack token"),
    (re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}"), "a Stripe key"),
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}"), "an OpenAI or Anthropic API key"),
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}"), "a Hugging Face token"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), "a Google API key"),
    (re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"), "a JSON Web Token"),
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:[^\s:/@]{3,}@", re.I), "a URL with a password"),
)  # fmt: skip
_KEYWORD = re.compile(
    r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)"
    r"\b\s*[:=]\s*['\"]?([^\s'\"]{12,})"
)


def _entropy(value: str) -> float:
    from math import log2

    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * log2(n / len(value)) for n in counts.values())


# One pass decides whether any of the patterns above can match (most texts hold none).
_SECRET_HINT = re.compile(
    r"-----BEGIN|A[KSBC][IC]A|gh[pousr]_|github_pat_|glpat-|xox|k_live_|sk-|hf_|AIza|eyJ|://"
    r"|(?i:password|passwd|secret|api[_-]?key|token)"
)
_ID_HINT = re.compile(r"\d\d[ .-]?\d\d[ .-]?\d\d")


def _secrets(text: str) -> Iterator[PiiMatch]:
    if not _SECRET_HINT.search(text):
        return
    for pattern, detail in _SECRETS:
        for m in pattern.finditer(text):
            yield PiiMatch("secret", m.start(), mask(m.group()), detail)
    for m in _KEYWORD.finditer(text):
        value = m.group(1)
        if _entropy(value) >= 3.5 and any(c.isdigit() for c in value):
            yield PiiMatch(
                "secret", m.start(1), mask(value), "a password or key assigned in the text"
            )


def find_pii(text: str, *, phone_regions: tuple[str, ...] = PHONE_REGIONS) -> list[PiiMatch]:
    """Every personal-data or secret match in *text*, ordered by position."""
    found = [*_emails(text)] if "@" in text else []
    found += _secrets(text)
    if _ID_HINT.search(text):  # cards, IBANs, ids and phones all hold 6 digits close together
        found += [*_cards(text), *_ibans(text), *_national_ids(text)]
        taken = {m.start for m in found}
        found += [p for p in _phones(text, phone_regions) if p.start not in taken]
    return sorted(found, key=lambda m: (m.start, m.kind))
