"""The CLI on real files: formats, exit codes, bad input, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from clearweights.cli.main import main
from clearweights.formats import REPORT_FORMATS, OutputFormat
from clearweights.licenses import get, identify_file, summarize
from clearweights.licenses.report import IdentifyReport, LicenceCard, LicenceListing, LicenceReport
from tests.conftest import corpus


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert "clearweights, version" in out


def test_identify_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(corpus("licences", "LicenseRef-clearweights-llama-3.txt"))
    code, out, _ = run(capsys, "license", "identify", path, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert next(iter(doc)) == "schema_version"
    licence = doc["results"][0]["licenses"][0]
    assert doc["results"][0]["path"] == path
    assert licence["id"] == "LicenseRef-clearweights-llama-3"
    assert licence["hf_id"] == "llama3"
    assert licence["family"] == "llama"
    assert licence["match"] == "exact"
    assert 0 <= licence["confidence"] <= 1
    terms = licence["terms"]
    for key in (
        "osi_approved",
        "commercial_use",
        "user_threshold",
        "acceptable_use_policy",
        "derivative_naming",
        "output_use_restriction",
        "non_commercial",
        "research_only",
        "revocable",
        "governing_law",
    ):
        assert key in terms
    assert terms["output_use_restriction"]["restricted"] is True
    assert terms["derivative_naming"]["name_prefix"] == "Llama 3"


def test_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("license", "identify", str(corpus("licences", "MIT.txt")), "--format", "json")
    assert run(capsys, *args)[1] == run(capsys, *args)[1]


def test_bad_inputs_are_reported_and_others_processed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    binary = tmp_path / "weights.bin"
    binary.write_bytes(b"\x80\x02}q\x00" + bytes(range(256)) * 4)
    empty = tmp_path / "EMPTY"
    empty.write_text("")
    latin = tmp_path / "LICENSE-latin1"
    latin.write_bytes(
        corpus("licences", "MIT.txt")
        .read_text(encoding="utf-8")
        .replace("Permission", "Permissión")
        .encode("latin-1")
    )
    huge = tmp_path / "HUGE"
    huge.write_text(corpus("licences", "MIT.txt").read_text(encoding="utf-8") + "x " * 700_000)
    good = corpus("licences", "MIT.txt")
    args = [str(p) for p in (binary, empty, latin, huge, tmp_path, tmp_path / "missing", good)]
    code, out, err = run(capsys, "license", "identify", *args, "--format", "json")
    assert code == 3
    assert "Traceback" not in err
    results = {Path(r["path"]).name: r for r in json.loads(out)["results"]}
    assert "binary" in results["weights.bin"]["error"]
    assert results["EMPTY"]["licenses"] == [] and results["EMPTY"]["error"] is None
    assert results["LICENSE-latin1"]["licenses"][0]["id"] == "MIT"
    assert any("Windows-1252" in n for n in results["LICENSE-latin1"]["notes"])
    assert any("only the first" in n for n in results["HUGE"]["notes"])
    assert results["HUGE"]["licenses"][0]["id"] == "MIT"
    assert results[tmp_path.name]["error"] == "is a directory, not a file"
    assert results["missing"]["error"] == "no such file"
    assert results["MIT.txt"]["licenses"][0]["id"] == "MIT"
    assert "weights.bin" in err


def test_input_without_licence_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "license", "identify", str(corpus("unrelated", "recipe.md")), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["results"][0]["licenses"] == []


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"license: llama3.1\n")))
    code, out, _ = run(capsys, "license", "identify", "-", "--format", "json")
    assert code == 0
    assert (
        json.loads(out)["results"][0]["licenses"][0]["id"]
        == "LicenseRef-scancode-llama-3.1-license-2024"
    )


def test_show_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "license", "show", "llama3")
    assert code == 0
    assert "Built with Meta Llama 3" in out
    code, out, err = run(capsys, "license", "show", "no-such-licence")
    assert code == 2
    assert out == ""
    assert "no licence is known as 'no-such-licence'" in err
    assert "Traceback" not in err


def test_list_filters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "license", "list", "--ai", "--format", "json")
    assert code == 0
    ids = {lic["id"] for lic in json.loads(out)["licenses"]}
    assert "LicenseRef-clearweights-llama-3" in ids and "MIT" not in ids
    _, out, _ = run(capsys, "license", "list", "--category", "research-only", "--format", "json")
    assert {lic["category"] for lic in json.loads(out)["licenses"]} == {"research-only"}


def test_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "license", "identify", "--format", "yaml", "x")
    assert code == 2
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_every_format_renders_every_report(fmt: OutputFormat) -> None:
    reports: list[LicenceReport] = [
        IdentifyReport(
            (identify_file(corpus("licences", "MIT.txt")), identify_file("/nonexistent"))
        ),
        LicenceCard(summarize(get("llama3.1"))),
        LicenceListing((get("MIT"), get("gemma"))),
    ]
    for report in reports:
        rendered = fmt.to_format().render(report)
        assert rendered.strip()


def test_debug_flag_anywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["license", "show", "no-such-licence", "--debug"]) == 2
    assert "No such option" not in capsys.readouterr().err


def test_every_command_is_registered_by_its_own_name() -> None:
    """The lazily imported commands: each name loads a command of that name."""
    from clearweights.cli.main import COMMANDS, cli

    context = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(context, name)
        assert command is not None and command.name == name, name
        assert any(p.name == "no_progress" for p in _leaf_params(command)), name


def _leaf_params(command: object) -> list[click.Parameter]:
    if isinstance(command, click.Group):
        return [p for sub in command.commands.values() for p in _leaf_params(sub)]
    assert isinstance(command, click.Command)
    return list(command.params)


def test_a_command_loads_only_its_own_code(tmp_path: Path) -> None:
    """`clearweights stats` must not import the fine-tuning, taxonomy or server code."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom clearweights.cli.main import main\n"
        f"code = main(['stats', '--store', {str(tmp_path / 'none.db')!r}])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('clearweights.tune', "
        "'clearweights.taxonomy', 'clearweights.server', 'clearweights.cli.generate'))), code)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == "[] 3", done.stdout + done.stderr


def test_output_to_a_fifo_is_written_in_place_never_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-o /dev/null` or a named pipe: the output goes through it; the rename that makes file
    outputs atomic would have put a regular file in the device's place."""
    import os
    import stat
    import threading

    release = tmp_path / "release"
    release.mkdir()
    (release / "README.md").write_text("---\nlicense: mit\n---\n# A model\n", encoding="utf-8")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, out, _ = run(capsys, "audit", str(release), "--format", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert code == 0 and out == ""
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["schema_version"]
    assert not list(tmp_path.glob(".pipe.*"))  # no temporary file left beside it


def test_output_to_dev_stdout_goes_where_the_shell_sent_it(tmp_path: Path) -> None:
    """`-o /dev/stdout` into a pipe, or with stdout appended to a file (`>> log`): the text
    reaches the pipe, and the file keeps what it had (a rename would have replaced it)."""
    import subprocess
    import sys

    release = tmp_path / "release"
    release.mkdir()
    (release / "README.md").write_text("---\nlicense: mit\n---\n# A model\n", encoding="utf-8")
    probe = (
        "import sys\nfrom clearweights.cli.main import main\n"
        f"sys.exit(main(['audit', {str(release)!r}, '--format', 'json', '-o', '/dev/stdout']))\n"
    )
    piped = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["schema_version"]
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n", encoding="utf-8")
    with log.open("a", encoding="utf-8") as appended:
        done = subprocess.run(
            [sys.executable, "-c", probe], stdout=appended, stderr=subprocess.PIPE, check=False
        )
    assert done.returncode == 0, done.stderr
    earlier, _, rest = log.read_text(encoding="utf-8").partition("\n")
    assert earlier == "earlier line" and json.loads(rest)["schema_version"]
    assert log.is_file() and not log.is_symlink()


def test_output_through_a_symbolic_link_writes_its_target_and_keeps_the_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "release"
    release.mkdir()
    (release / "README.md").write_text("---\nlicense: mit\n---\n# A model\n", encoding="utf-8")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "audit.json").write_text("old", encoding="utf-8")
    link = tmp_path / "audit.json"
    link.symlink_to(shared / "audit.json")
    dangling = tmp_path / "new.json"
    dangling.symlink_to(shared / "new.json")
    for target in (link, dangling):
        code, _, err = run(capsys, "audit", str(release), "--format", "json", "-o", str(target))
        assert code == 0 and f"wrote {target}" in err
        assert target.is_symlink()
    assert json.loads((shared / "audit.json").read_text(encoding="utf-8"))["schema_version"]
    assert json.loads((shared / "new.json").read_text(encoding="utf-8"))["schema_version"]
    assert sorted(p.name for p in shared.iterdir()) == ["audit.json", "new.json"]
