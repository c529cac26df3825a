"""Personal data and secrets in seeds: what must be found, and what must not."""

from __future__ import annotations

import pytest

from clearweights.taxonomy._pii import find_pii, iban_valid, luhn, mask


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Write to jane.doe@gmail.com for the slides.", "email"),
        ("Contact: m.rossi+orders@posteitaliane.it", "email"),
        ("Call me at +44 20 7946 0958 tomorrow.", "phone"),
        ("Tel. +49 30 901820 (Zentrale)", "phone"),
        ("Questions: call (415) 555-2671.", "phone"),
        ("or 415.555.2671 after six", "phone"),
        ("Rufen Sie 030 901820 an.", "phone"),
        ("Ring 020 7946 0958 in London.", "phone"),
        ("Paid by card 4111 1111 1111 1111.", "payment-card"),
        ("Amex 3782-822463-10005 on file", "payment-card"),
        ("card number 5555555555554444", "payment-card"),
        ("IBAN DE89 3704 0044 0532 0130 00", "iban"),
        ("Pay to GB82WEST12345698765432 by Friday", "iban"),
        ("the client's SSN is 078-05-1120", "national-id"),
        ("National Insurance number AB 12 34 56 C", "national-id"),
        ("key AKIAIOSFODNN7EXAMPLE in the config", "secret"),
        ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a", "secret"),
        ("-----BEGIN RSA PRIVATE KEY-----", "secret"),
        ("password: Zq8xK2pLm9Vb4Tn7", "secret"),
        ("HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "secret"),
        ("clone https://bob:s3cretpw@git.internal.net/repo.git", "secret"),
    ],
)
def test_personal_data_and_secrets_are_found(text: str, kind: str) -> None:
    kinds = [m.kind for m in find_pii(text)]
    assert kind in kinds, kinds


@pytest.mark.parametrize(
    "text",
    [
        "ISBN 978-3-16-148410-0",
        "The second edition (978-0-306-40615-7) adds a chapter.",
        "ISBN 0-306-40615-2",
        "0-306-40615-2 is the first edition",
        "published 2024-01-15, revised 12/03/1987 and 30.11.2026",
        "2023-11-30T12:00:00Z",
        "version 1.2.3, build 10.0.19041.1 and v2.14.1",
        "Total due: 1196.55 EUR; 4,200 words at 0.12 CHF per word.",
        "Invoice 2024-117. 12 hours at 80.00 EUR.",
        "The Phoenix Cluster is 5,700,000,000 light-years away (160000000 pc).",
        "from 1939-1945 and 1914-1918",
        "order id 1234567890123456",  # 16 digits, fails Luhn
        "card 4111 1111 1111 1112",  # Luhn fails
        "DE89 3704 0044 0532 0130 01",  # IBAN check digits fail
        "write to someone@example.com or admin@test.example",
        "NINO QQ 12 34 56 C is the documented example",
        "SSN-like 000-12-3456 and 666-12-3456 are never issued",
        "password: hunter2",
        "coordinates RA 23h 26m, Dec -48 degrees",
        "Rechnung Nr. 88. 6 x 9,90 EUR = 59,40 EUR (§ 19 UStG).",
    ],
)
def test_look_alikes_are_not_flagged(text: str) -> None:
    assert find_pii(text) == []


def test_checksums() -> None:
    assert luhn("4111111111111111") and not luhn("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert not iban_valid("XX82 WEST 1234 5698 7654 32")


def test_found_values_are_masked() -> None:
    (match,) = find_pii("mail jane.doe@gmail.com now")
    assert "jane" not in match.masked and "gmail" not in match.masked
    assert match.masked.startswith("ja") and match.start == 5
    assert mask("4111 1111 1111 1111") == "41** **** **** **11"
