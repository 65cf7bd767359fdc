"""Built-in profiles (issue 14): `--profile deepgram` is the live service as a profile, with its
known deviations applied, never gating, and a passing one told rather than failed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from runner import run_cli

from conformance.cli.commands import config_of, main
from conformance.cli.parser import run_flags
from conformance.contract import catalogue
from conformance.contract.catalogue import CAPABILITIES, Level, Requirement
from conformance.run import profile, regress
from conformance.run.config import RunConfig
from conformance.run.verdicts import CaseResult, Outcome, Verdict, judge, outcome


def _config(*flags: str) -> RunConfig:
    """The configuration `conformance run FLAGS` resolves, without running anything."""
    return config_of(run_flags([*flags, "--api-key", "k"]))


def test_deepgram_resolves_to_the_live_service() -> None:
    """Live bases, dialect v1, the 10 s idle timeout, every capability, caps under the limits,
    and the deviations file applied."""
    config = _config("--profile", "deepgram")
    assert config.target == "https://api.deepgram.com"
    assert config.ws_target == "wss://api.deepgram.com"
    assert config.dialect == "v1"
    assert config.stream_idle_timeout == 10.0
    assert config.capabilities == frozenset(CAPABILITIES)
    assert config.concurrency.as_report() == {
        "listen": 8,
        "speak": 5,
        "manage": 4,
        "streams": 40,
    }
    assert config.deviations_source is not None
    assert config.deviations_source.endswith("deepgram-deviations.txt")
    assert "STREAM-SHUTDOWN-EMPTY-FRAME" in config.deviations
    assert config.waivers == {}


def test_every_deviation_names_a_requirement_and_its_evidence() -> None:
    """The deviations file loads against the catalogue; each reason cites a source."""
    found = regress.waivers(profile.BUILT_IN / "deepgram-deviations.txt", catalogue.load())
    assert found
    for requirement_id, reason in found.items():
        assert any(word in reason for word in ("docs", "SDK", "sdk", "PR", "same")), requirement_id


def test_flags_override_the_built_in_profile() -> None:
    """Flags win: a per-endpoint cap, a plain cap for every REST endpoint, the idle timeout."""
    config = _config("--profile", "deepgram", "--concurrency", "speak=3,streams=1")
    assert config.concurrency.as_report() == {
        "listen": 8,
        "speak": 3,
        "manage": 4,
        "streams": 1,
    }
    config = _config("--profile", "deepgram", "--concurrency", "2", "--stream-idle-timeout", "12")
    assert config.concurrency.as_report() == {
        "listen": 2,
        "speak": 2,
        "manage": 2,
        "streams": 40,
    }
    assert config.stream_idle_timeout == 12.0


def test_a_profile_file_sets_per_endpoint_caps(tmp_path: Path) -> None:
    """[concurrency] in a profile file; timing.concurrency caps every REST endpoint under it."""
    path = tmp_path / "mine.toml"
    path.write_text("[timing]\nconcurrency = 3\n[concurrency]\nspeak = 1\n")
    assert _config("--profile", str(path)).concurrency.as_report() == {
        "listen": 3,
        "speak": 1,
        "manage": 3,
        "streams": 40,
    }


def test_an_unknown_profile_name_is_one_line_and_exit_2() -> None:
    """A bare name that is no built-in profile: a usage error naming the built-ins."""
    done = run_cli("run", "--profile", "deepgramm")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "built-in profiles: deepgram" in lines[0]


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("speak=0", "1 or more"),
        ("talk=3", "not ENDPOINT=N"),
        ("speak=x", "not ENDPOINT=N"),
    ],
)
def test_a_bad_concurrency_flag_is_one_line_and_exit_2(
    flag: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--concurrency", flag])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_a_bad_concurrency_table_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[concurrency]\nspeak = 0\n")
    assert main(["run", "--profile", str(path), "--target", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "concurrency.speak" in err[0]


def test_the_deepgram_profile_against_an_unreachable_target_exits_4(tmp_path: Path) -> None:
    """The profile resolves and the run starts: --target overrides its base, nothing answers."""
    done = run_cli(
        "run",
        "--profile",
        "deepgram",
        "--target",
        "http://127.0.0.1:9",
        "--api-key",
        "k",
        "--report-dir",
        str(tmp_path),
        timeout=60,
    )
    assert done.returncode == 4, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _requirement(level: Level = Level.MUST) -> Requirement:
    return next(r for r in catalogue.load().requirements if r.level is level)


def test_a_deviation_never_gates_and_a_passing_one_fails_nothing() -> None:
    """A failing deviation does not gate; a passing one is told, and the run still passes."""
    requirement = _requirement()
    config = _config("--profile", "deepgram")
    deviated = replace(config, deviations={requirement.id: "docs: differs"})
    failing = judge(
        requirement, [CaseResult("c", requirement.id, Verdict.FAIL, "x", 0.1)], deviated
    )
    assert not failing.gated and failing.ungated_why is not None
    assert "known deviation" in failing.ungated_why
    passing = judge(requirement, [CaseResult("c", requirement.id, Verdict.PASS, "", 0.1)], deviated)
    assert passing.deviation_not_seen and not passing.stale_waiver
    assert outcome([failing]) is Outcome.PASSED
    assert outcome([passing]) is Outcome.PASSED
