"""``--dir`` before or after the sub-command, the "no deployment" sentence, flags shown as flags.

These run ``comity`` as a user does (a subprocess), since the point is the command line as typed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from comity.entrypoints.cli.main import COMMANDS, app, load_command


def comity(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comity.entrypoints.cli.main", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )


def test_init_takes_dir_before_or_after_the_sub_command(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    assert comity("--dir", str(before), "init").returncode == 0
    assert comity("init", "--dir", str(after)).returncode == 0
    assert (before / "comity.toml").is_file()
    assert (after / "comity.toml").is_file()
    # As JSON: a table folds a long store path where its length puts it, which differs by path.
    listed_after = comity("regions", "list", "--json", "--dir", str(after))
    listed_before = comity("--dir", str(before), "regions", "list", "--json")
    assert listed_after.returncode == 0, listed_after.stderr
    assert listed_before.returncode == 0, listed_before.stderr
    # Same default deployment, so the same regions, whichever side --dir was on.
    assert listed_after.stdout.strip()
    assert listed_after.stdout.replace(str(after), "D") == listed_before.stdout.replace(
        str(before), "D"
    )


def test_missing_deployment_names_the_directory_looked_in_and_a_working_init(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere"
    done = comity("audit", "head", "--dir", str(missing))
    assert done.returncode != 0
    assert f"no deployment file at {missing / 'comity.toml'}" in done.stderr
    assert f"run 'comity init --dir {missing}'" in done.stderr
    assert "Traceback" not in done.stderr
    # The command the sentence suggests works as written.
    assert comity("init", "--dir", str(missing)).returncode == 0
    assert comity("regions", "list", "--dir", str(missing)).returncode == 0


def test_two_different_dirs_are_refused_in_one_sentence(tmp_path: Path) -> None:
    done = comity("--dir", str(tmp_path / "a"), "audit", "head", "--dir", str(tmp_path / "b"))
    assert done.returncode == 2
    assert "--dir was given twice" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_leaf_command_accepts_dir() -> None:
    """No command is left without ``--dir`` after the sub-command."""
    missing: list[str] = []

    def walk(command: object, path: str) -> None:
        subs = getattr(command, "commands", None)
        if isinstance(subs, dict):
            for name, sub in subs.items():
                walk(sub, f"{path} {name}")
            return
        params = getattr(command, "params", [])
        if not any("--dir" in getattr(p, "opts", ()) for p in params):
            missing.append(path)

    for name in COMMANDS:
        walk(load_command(name), name)
    assert missing == []


@pytest.mark.parametrize("name", list(COMMANDS))
def test_root_summary_matches_the_command_s_own_help(name: str) -> None:
    """The root lists commands without importing them; its summaries must not drift."""
    command = load_command(name)
    assert command is not None
    own = " ".join((command.help or "").split("\n\n")[0].split())
    assert own == COMMANDS[name].summary


def test_flags_show_no_value_type_and_still_work(tmp_path: Path) -> None:
    helped = CliRunner().invoke(app, ["init", "--help"], env={"COLUMNS": "100"})
    assert helped.exit_code == 0
    demo_line = next(line for line in helped.output.splitlines() if "--demo" in line)
    assert "<bool>" not in demo_line
    assert "<bool>" not in helped.output
    assert "<str>" in next(line for line in helped.output.splitlines() if "--log-url" in line)
    done = comity("init", "--demo", "--dir", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo" / "comity.toml").is_file()


def test_root_help_lists_every_command_without_importing_them() -> None:
    probe = (
        "import sys\n"
        "from comity.entrypoints.cli.main import main\n"
        "sys.argv = ['comity', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('comity.entrypoints.cli.')\n"
        "          and m.endswith('_cmd')]\n"
        "print('LOADED', sorted(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f" {name} " in done.stdout
    assert "LOADED []" in done.stdout


def test_a_read_command_imports_neither_the_pdf_library_nor_http(tmp_path: Path) -> None:
    """Start-up (issue 15): ``audit head`` must not pay for fpdf (0.6 s) or httpx."""
    home = tmp_path / "demo"
    assert comity("init", "--demo", "--dir", str(home)).returncode == 0
    probe = (
        "import sys\n"
        "from comity.entrypoints.cli.main import main\n"
        f"sys.argv = ['comity', '--dir', {str(home)!r}, 'audit', 'head']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'fpdf', 'httpx', 'psycopg'})\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "— " in done.stdout  # the signed checkpoint was printed
    assert "HEAVY []" in done.stdout
