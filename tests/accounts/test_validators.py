import pytest
from django.core.exceptions import ValidationError

from cheeseshop.accounts.models import User
from cheeseshop.accounts.validators import (
    MaximumLengthValidator,
    NullCharacterValidator,
    PasswordStrengthValidator,
)
from tests.accounts.conftest import STRONG_PASSWORD, WEAK_PASSWORD


def test_password_of_4096_characters_is_accepted_and_4097_refused():
    MaximumLengthValidator().validate("x" * 4096)
    with pytest.raises(ValidationError) as refused:
        MaximumLengthValidator().validate("x" * 4097)
    assert refused.value.code == "password_too_long"
    assert "at most 4096 characters" in refused.value.messages[0]


@pytest.mark.parametrize("password", ["\x00", "abc\x00def", STRONG_PASSWORD + "\x00"])
def test_nul_character_anywhere_is_refused(password):
    with pytest.raises(ValidationError) as refused:
        NullCharacterValidator().validate(password)
    assert refused.value.code == "password_has_nul"


def test_password_without_nul_passes_the_nul_check():
    NullCharacterValidator().validate(STRONG_PASSWORD)


def test_weak_password_is_refused_with_its_score():
    with pytest.raises(ValidationError) as refused:
        PasswordStrengthValidator().validate(WEAK_PASSWORD)
    assert refused.value.code == "password_too_weak"
    assert "strength 1 of 4, at least 2 required" in refused.value.messages[0]


def test_strong_password_is_accepted():
    PasswordStrengthValidator().validate(STRONG_PASSWORD)


def test_username_and_email_count_as_easy_guesses():
    password = "quixotic-walrus"
    user = User(username="quixotic-walrus", email="walrus@example.com")
    validator = PasswordStrengthValidator()
    assert validator.score(password) >= 2
    assert validator.score(password, user) < 2
    with pytest.raises(ValidationError):
        validator.validate(password, user)


def test_email_local_part_counts_as_an_easy_guess():
    validator = PasswordStrengthValidator()
    assert validator.user_inputs(User(username="", email="zorblax@example.com")) == [
        "zorblax@example.com",
        "zorblax",
    ]


def test_very_long_passwords_are_scored_on_their_start_without_error():
    PasswordStrengthValidator().validate(STRONG_PASSWORD * 100)
    with pytest.raises(ValidationError):
        PasswordStrengthValidator().validate("a" * 4000 + STRONG_PASSWORD)


def test_minimum_score_is_configurable():
    PasswordStrengthValidator(min_score=1).validate(WEAK_PASSWORD)
    with pytest.raises(ValidationError):
        PasswordStrengthValidator(min_score=4).validate("Summer2024!")
