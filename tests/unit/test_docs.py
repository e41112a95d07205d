"""The README documents every setting, and CI runs the README's test command."""

import re
from pathlib import Path

from demo_models import settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_setting_with_its_default():
    for name, (default, _meaning) in settings.SETTINGS.items():
        assert re.search(rf"\| `{name}` \| `{re.escape(default)}` \|", README), name


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.+?)\n```", README)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_settings_are_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.setenv("INVOLVE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("INVOLVE_REGISTRY_DIR", raising=False)
    monkeypatch.delenv("INVOLVE_DB_URL", raising=False)
    assert settings.registry_dir() == tmp_path / "registry"
    assert settings.db_url() == f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    monkeypatch.setenv("INVOLVE_DB_URL", "postgresql://u@localhost/involve")
    assert settings.db_url() == "postgresql://u@localhost/involve"
