"""What the upload API tells whoever listens (the metrics, in cheeseshop.operations)."""

from django.dispatch import Signal

# Sent once per answered upload, with ``outcome``: "accepted", or the kind of refusal, the name
# of its cheeseshop.errors class in snake case ("invalid", "not_permitted", "too_many" ...).
upload_answered = Signal()
