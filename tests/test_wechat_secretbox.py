"""The secret box that keeps the access token encrypted at rest."""

import pytest

from wxpub.infra.secretbox import SecretBox, SecretBoxError


def test_round_trip_and_ciphertext_hides_the_value():
    box = SecretBox("a-secret-key-for-tests", "access-token")
    secret = "82_TOKENVALUE_abcdefghijklmnopqrstuvwxyz"
    first, second = box.encrypt(secret), box.encrypt(secret)
    assert secret not in first and first != second  # randomised
    assert box.decrypt(first) == secret == box.decrypt(second)


def test_another_key_or_purpose_cannot_read_it():
    ciphertext = SecretBox("a-secret-key-for-tests", "access-token").encrypt("value")
    with pytest.raises(SecretBoxError):
        SecretBox("another-secret-key-0000", "access-token").decrypt(ciphertext)
    with pytest.raises(SecretBoxError):
        SecretBox("a-secret-key-for-tests", "other-purpose").decrypt(ciphertext)


def test_tampered_ciphertext_is_rejected_and_repr_hides_the_key():
    box = SecretBox("a-secret-key-for-tests")
    ciphertext = box.encrypt("value")
    tampered = ciphertext[:-6] + ("A" if ciphertext[-6] != "A" else "B") + ciphertext[-5:]
    with pytest.raises(SecretBoxError):
        box.decrypt(tampered)
    assert "a-secret-key" not in repr(box)
