"""The command line's messages: results on standard output, refusals and warnings on standard
error, one line each, flushed at once (operators pipe and log them)."""

import sys


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def complain(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
