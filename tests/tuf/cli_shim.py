"""``python -m tests.tuf.cli_shim tuf ...``: the TUF commands before cheeseshop.cli adds them."""

import argparse
import sys

from cheeseshop.tuf.cli import add_tuf_commands

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="cheeseshop")
    add_tuf_commands(parser.add_subparsers(dest="command", required=True))
    arguments = parser.parse_args()
    sys.exit(arguments.func(arguments))
