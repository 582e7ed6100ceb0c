"""Password rules beyond Django's own: a length cap, no NUL characters, and a strength check;
and the username rule.

The account adapter applies the password rules to every password a person chooses through
allauth (sign-up, change, reset), after Django's AUTH_PASSWORD_VALIDATORS. The username rule is
the username field's validator, so every path that makes or renames an account runs it (the
sign-up form, the admin's forms, ``create_user`` behind the command line).
"""

import threading

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from zxcvbn import zxcvbn

MAX_PASSWORD_LENGTH = 4096
# zxcvbn refuses longer input (its cost grows fast with length); a prefix's score is a lower
# bound of the whole password's, so scoring the prefix never lets a weak password through.
_SCORED_PREFIX = 72
# zxcvbn keeps the user inputs in a module-level dictionary while it scores.
_zxcvbn_lock = threading.Lock()


class MaximumLengthValidator:
    """Refuse passwords longer than 4096 characters: hashing them costs more than it protects."""

    def __init__(self, max_length: int = MAX_PASSWORD_LENGTH):
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long: it may have at most %(max)d character.",
                    "This password is too long: it may have at most %(max)d characters.",
                    self.max_length,
                )
                % {"max": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Your password may have at most %(max)d characters.") % {"max": self.max_length}


class NullCharacterValidator:
    """Refuse passwords containing NUL, which some hashers and databases cut strings at."""

    def validate(self, password: str, user=None) -> None:
        if "\x00" in password:
            raise ValidationError(
                _("This password contains a NUL character, which is not allowed."),
                code="password_has_nul",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot contain NUL characters.")


class PasswordStrengthValidator:
    """Refuse passwords zxcvbn scores below ``min_score`` (0 to 4), counting the user's own
    username and email address as easy guesses."""

    def __init__(self, min_score: int = 2, user_attributes=("username", "email")):
        self.min_score = min_score
        self.user_attributes = user_attributes

    def user_inputs(self, user) -> list[str]:
        inputs = []
        for attribute in self.user_attributes:
            value = str(getattr(user, attribute, "") or "") if user is not None else ""
            if value:
                inputs.append(value)
                if "@" in value:
                    inputs.append(value.split("@", 1)[0])
        return inputs

    def score(self, password: str, user=None) -> int:
        with _zxcvbn_lock:
            return zxcvbn(password[:_SCORED_PREFIX], user_inputs=self.user_inputs(user))["score"]

    def validate(self, password: str, user=None) -> None:
        score = self.score(password, user)
        if score < self.min_score:
            raise ValidationError(
                _(
                    "This password is too easy to guess (strength %(score)d of 4, at least "
                    "%(minimum)d required). Use a longer password, for example several "
                    "unrelated words, and avoid your username, your email address and common "
                    "words or patterns."
                )
                % {"score": score, "minimum": self.min_score},
                code="password_too_weak",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password must not be easy to guess: avoid your username, your email address "
            "and common words or patterns."
        )


@deconstructible
class UsernameValidator(RegexValidator):
    """PyPI's username rule: ASCII letters and digits, with ``.``, ``_`` and ``-`` inside.

    Django's default accepts any Unicode letter, so "alice" with a Cyrillic a (U+0430),
    in fullwidth letters (U+FF41...) or with a dotless i (U+0131) were accounts of their own
    that render like ``alice``. ASCII leaves no look-alike letters; case-insensitive
    uniqueness (the model's constraint) leaves no look-alike case.
    """

    regex = r"\A[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z"
    message = gettext_lazy(
        "Enter a username of ASCII letters and digits, with '.', '_' or '-' between them: "
        "it must start and end with a letter or a digit."
    )
    flags = 0
