"""The screenshots of docs/translating.md ("Where the messages appear"), taken from the site the
accessibility test seeds, in Debian's Chromium:

    python -m tests.a11y.screenshots docs/translating

Run it again when those screens change.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from tests.a11y.conftest import ROOT, USERS, log_in
from tests.a11y.pages import OWNER
from tests.a11y.seed import PROJECT
from tests.e2e.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.conftest import running_index

VIEWPORT = {"width": 1024, "height": 760}

# (file name, language, logged in as the owner, path or a function reaching the screen)
SCREENS = [
    ("project.png", "en", False, f"/project/{PROJECT}/"),
    ("manage-release.png", "en", True, f"/manage/project/{PROJECT}/release/1.1/"),
    ("token-errors.png", "en", True, "token-errors"),
    ("project-ar.png", "ar", False, f"/project/{PROJECT}/"),
]


def _token_errors(page, site: str) -> None:
    page.goto(f"{site}/manage/account/tokens/new/")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()


def take(out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="cheeseshop-screens-"))
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    written = []
    with running_index(data_dir / "data", {"PYTHONPATH": pythonpath}) as index:
        output = index.cli(
            "manage", "shell", "--verbosity", "0", "-c", "from tests.a11y.seed import main; main()"
        )
        facts = json.loads(output.strip().splitlines()[-1])
        site = index.url.replace("127.0.0.1", "localhost")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            username, secret = USERS[OWNER]
            owner_state = log_in(browser, site, username, facts[secret])
            for name, language, logged_in, target in SCREENS:
                context = browser.new_context(
                    viewport=VIEWPORT, storage_state=owner_state if logged_in else None
                )
                host = site.split("//", 1)[1].split(":")[0]
                context.add_cookies([{"name": "django_language", "value": language,
                                      "domain": host, "path": "/"}])  # fmt: skip
                page = context.new_page()
                if target == "token-errors":
                    _token_errors(page, site)
                else:
                    page.goto(site + target)
                page.screenshot(path=str(out_dir / name))
                written.append(out_dir / name)
                context.close()
            browser.close()
    return written


if __name__ == "__main__":
    for path in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/translating")):
        sys.stdout.write(f"{path}\n")
