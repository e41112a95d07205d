"""A real OpenID Connect provider for the login journeys: npm's `oidc-provider`, installed once from the
npm registry into a cache folder (like axe-core, tests/e2e/axe.py) and run by tests/e2e/oidc/provider.mjs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

OIDC_VERSION = os.environ.get("INVOLVE_OIDC_PROVIDER_VERSION", "9.13.3")
OIDC_DIR = Path(
    os.environ.get("INVOLVE_OIDC_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "oidc-provider"
)
SCRIPT = Path(__file__).resolve().parent / "oidc" / "provider.mjs"


class ProviderUnavailable(RuntimeError):
    """The provider cannot be installed or run here (no node / npm, or no registry)."""


def install_provider(directory: Path = OIDC_DIR, version: str = OIDC_VERSION) -> Path:
    """The folder holding node_modules/oidc-provider@<version>, installed with npm if missing."""
    package = directory / "node_modules" / "oidc-provider" / "package.json"
    if not package.exists() or json.loads(package.read_text()).get("version") != version:
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise ProviderUnavailable("node and npm are not installed (apt-get install npm; .ci/run does it)")
        directory.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(directory),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"oidc-provider@{version}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not package.exists():
            raise ProviderUnavailable(f"npm install oidc-provider@{version} failed: {done.stderr.strip()[-500:]}")
    return directory


def start_provider(port: int, config: dict, work: Path, directory: Path = OIDC_DIR) -> subprocess.Popen:
    """Run the provider on 127.0.0.1:<port> with `config` (client and accounts); returns once it answers."""
    config_file = work / "oidc-config.json"
    config_file.write_text(json.dumps(config))
    script = directory / "provider.mjs"  # beside node_modules, so that `import 'oidc-provider'` resolves
    shutil.copyfile(SCRIPT, script)
    log = work / "oidc-provider.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["node", str(script), str(port), str(config_file)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProviderUnavailable(f"oidc-provider exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1
            ) as reply:
                if json.load(reply).get("issuer") == f"http://127.0.0.1:{port}":
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise ProviderUnavailable(f"oidc-provider did not answer in 30 s:\n{log.read_text()[-2000:]}")
