"""allauth's messages that our glossary governs, for our catalogue.

These messages are allauth's own (its forms, flash messages, emails and the templates of its
that we do not override), shown on our pages. allauth's catalogues translate them with words our
glossary (docs/translating.md) gives another meaning or rules out: French "pseudo" for username,
"courriel", "retirer" for removing an address (our word for yanking). Listed here,
``makemessages`` puts them in our catalogue, which Django reads before allauth's
(``LOCALE_PATHS`` come first): our translation wins in every language that has one, and
allauth's is used where ours is still empty. Nothing imports this module.
"""

from django.utils.translation import gettext_noop

MESSAGES = (
    # Username: « nom d'utilisateur », never « pseudo », « pseudonyme » or « identifiant ».
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("The username and/or password you specified are not correct."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Username can not be used. Please use other username."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Invalid login."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Login"),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Username or email"),
    # Email address: « adresse e-mail », never « courriel », nor « e-mail » alone for the address.
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Email"),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("You must type the same email each time."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Your email has been confirmed."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("This mail can be safely ignored if you did not initiate this action."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop(
        "You are receiving this email because you, or someone else, tried to access an "
        "account with email %(email)s. However, we do not have any record of such an account "
        "in our database."
    ),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop(
        "We have sent an email to you for\nverification. Please click on the link inside "
        "that email. If you do not see the verification email in your main inbox, check your "
        "spam folder. Otherwise\ncontact us if you do not receive it within a few minutes."
    ),
    # Remove (an address, a key): « supprimer »; « retirer » is kept for yanking a release,
    # « enlever » for a collaborator.
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("You cannot remove your primary email address."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Removed email address %(email)s."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Email address %(deleted_email)s has been removed from your account."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Email Removed"),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("A security key has been removed."),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Security Key Removed"),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Security key removed."),
    # Token: « jeton » is an API token only; a password reset has a link.
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Bad Token"),
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("The password reset token was invalid."),
    # Passkey: « clé d'accès » (a security key is « clé de sécurité »).
    # Translators: allauth's message, translated with our glossary.
    gettext_noop("Create Passkey"),
)
