"""A cheeseshop check: private keys published by mistake inside a distribution.

A PEM private key in a wheel or an sdist is readable by everyone who downloads it. The check
looks at data files and at the string constants of Python modules (parsed with ``ast``, never
imported), and stays quiet on what real projects ship: keys in their test suites (fixtures made
for the tests), the bare header a library matches against, public keys and certificates.
"""

import ast
import re

from cheeseshop.malware.api import Check, Finding, Level, Subject, Trigger

# A whole PEM private key: its header, at least one line of base64, its footer.
PRIVATE_KEY = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----[ \t\r]*\n"
    r"(?:[A-Za-z0-9+/=]{16,}[ \t\r]*\n)+"
    r"-----END \1-----"
)
# Test suites ship keys made for the tests (paramiko's and cryptography's do).
TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.py$")
# Larger members are data (models, images, archives), not a key someone forgot.
MAX_MEMBER_SIZE = 1024 * 1024


class PrivateKeyCheck(Check):
    name = "private-key"
    version = 1
    subject = Subject.FILE
    triggers = frozenset({Trigger.UPLOAD})
    summary = "A PEM private key shipped in the distribution, outside its tests"
    time_limit = 10.0

    def judge(self, distribution):
        for member in distribution.members:
            if len(member.data) > MAX_MEMBER_SIZE or TEST_PATH.search(member.name):
                continue
            if b"PRIVATE KEY-----" not in member.data:  # the cheap test first
                continue
            if member.name.endswith(".py"):
                yield from self.keys_in_python(member)
            else:
                text = member.text
                for match in PRIVATE_KEY.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    yield self.finding(member.name, line, match.group(1))

    def keys_in_python(self, member):
        """Keys held in the module's string constants; a module that does not parse is left to
        the checks that judge odd code."""
        try:
            tree = ast.parse(member.data, filename=member.name)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = PRIVATE_KEY.search(node.value)
                if match:
                    yield self.finding(member.name, node.lineno, match.group(1))

    def finding(self, path, line, kind):
        return Finding(
            rule="private-key",
            message=f"A {kind} is shipped in the distribution: whoever downloads it has the key.",
            level=Level.REVIEW,  # a publisher's mistake to tell them about, not malware
            score=4.0,
            path=path,
            line=line,
            # The header only: the verdict must not copy the secret into the index.
            excerpt=f"-----BEGIN {kind}-----",
        )
