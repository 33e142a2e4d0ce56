"""Runs checks against a target and reports: a summary table, JUnit XML, and a fidelity profile."""

from __future__ import annotations

import fnmatch
import json
import os
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from binance_mock.contracts.checks import all_checks
from binance_mock.contracts.context import NO_CONTROL, Context
from binance_mock.contracts.facts import DECISION_REF, Profile
from binance_mock.contracts.outcomes import Aborted, Failed, Skipped, Unusable
from binance_mock.contracts.registry import Check
from binance_mock.contracts.target import Control, Credentials, Safety, Target

PASSED, FAILED, SKIPPED, ERROR, NOT_RUN = "passed", "failed", "skipped", "error", "not run"


@dataclass
class Result:
    check: Check
    status: str
    message: str = ""
    seconds: float = 0.0


@dataclass
class Config:
    base_url: str
    creds: Credentials
    live: bool = False  # force "no control API" even when the target has one
    safety: Safety = field(default_factory=lambda: Safety(min_interval_s=0.5))
    pace_fixed: bool = False  # False: drop the pacing once the target proves to be a mock
    expected: Profile | None = None  # None: the target's own (control API) or the default
    select: Sequence[str] = ()
    exclude: Sequence[str] = ()


@dataclass
class Report:
    results: list[Result]
    ctx: Context
    mode: str
    aborted: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return 2
        return 0 if all(r.status in (PASSED, SKIPPED) for r in self.results) else 1

    def by_status(self, status: str) -> list[Result]:
        return [r for r in self.results if r.status == status]

    def observed_profile(self) -> dict[str, str]:
        return {k: o.value for k, o in sorted(self.ctx.observations.items()) if o.value is not None}


def selected(checks: Iterable[Check], select: Sequence[str], exclude: Sequence[str]) -> list[Check]:
    def hit(c: Check, patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatchcase(c.id, p) or c.id.startswith(p + ".") for p in patterns)

    return [c for c in checks if (not select or hit(c, select)) and not hit(c, exclude)]


def _expected_profile(config: Config, health: dict[str, Any] | None, notes: list[str]) -> Profile:
    if config.expected is not None:
        return config.expected
    declared = health.get("profile") if health else None
    if isinstance(declared, dict):
        try:
            profile = Profile().with_values({k: v for k, v in declared.items() if k in Profile.names()})
        except ValueError as exc:
            notes.append(f"ignored the profile the control API declares: {exc}")
        else:
            notes.append("expected profile: the one the target's control API declares")
            return profile
    return Profile()


# The first signed call answering one of these means the key or secret is wrong, not the
# target: every signed check would fail for the same reason, so the run stops there.
REJECTED_CREDENTIALS = (-1022, -2014, -2015)


def prepare(config: Config) -> tuple[Context, str, list[str]]:
    """Connect, detect the control API, sync or freeze the clock, seed rows when possible;
    raises Unusable when the target cannot be reached."""
    try:
        return _connect(config)
    except requests.RequestException as exc:
        raise Unusable(f"cannot reach {config.base_url} ({_root_cause(exc)}); is it running?") from None


def check_credentials(ctx: Context) -> None:
    """One signed call before any check: Unusable when the target refuses the key or secret."""
    try:
        first = ctx.answer(())
    except requests.RequestException as exc:
        cause = ctx.target.redact(_root_cause(exc))  # this call was signed
        raise Unusable(f"cannot reach {ctx.target.base_url} ({cause}); is it running?") from None
    code = first.json.get("code") if isinstance(first.json, dict) else None
    if code in REJECTED_CREDENTIALS:
        raise Unusable(
            f"the target rejected the credentials ({code} {first.json.get('msg')}): check --api-key and "
            f"--secret (or BINANCE_API_KEY and BINANCE_API_SECRET) and --key-type"
        )


def _root_cause(exc: BaseException) -> str:
    """The innermost exception of the chain (an OS error's text, not a message holding a URL)."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


def _connect(config: Config) -> tuple[Context, str, list[str]]:
    target = Target(config.base_url, config.creds, config.safety)
    notes: list[str] = []
    health = None if config.live else Control.probe(target)
    ctx = Context(target, _expected_profile(config, health, notes))
    if health is None:
        ctx.sync_clock()
        return ctx, "live, no control API", notes
    ctx.control = Control(target)
    if not config.pace_fixed:
        target.safety.min_interval_s = 0.0  # a mock: no exchange to protect
    try:
        ctx.seed()
    except Skipped as exc:
        notes.append(f"could not seed rows: {exc}")
        ctx.sync_clock()
    return ctx, "control API", notes


def finish(ctx: Context) -> None:
    """Give the target back as it was: the seeded rows and frozen clock are undone by a reset."""
    if ctx.control is None:
        return
    try:
        ctx.control.clear_faults()
        ctx.control.reset()
    except (Skipped, Aborted, requests.RequestException):
        pass


def run_check(c: Check, ctx: Context) -> Result:
    start = time.monotonic()
    redact = ctx.target.redact
    try:
        if c.needs_control and ctx.control is None:
            raise Skipped(NO_CONTROL)
        c.fn(ctx)
        status, message = PASSED, ""
    except Failed as exc:
        status, message = FAILED, str(exc)
    except Skipped as exc:
        status, message = SKIPPED, str(exc)
    except Aborted:
        raise
    except requests.RequestException as exc:
        status, message = ERROR, f"request failed: {type(exc).__name__}"
    except Exception as exc:  # a check's own bug must not hide the other checks' results
        status, message = ERROR, f"{type(exc).__name__}: {exc}"
    return Result(c, status, redact(message), time.monotonic() - start)


def run(config: Config) -> Report:
    start = time.monotonic()
    checks = selected(all_checks(), config.select, config.exclude)
    try:
        ctx, mode, notes = prepare(config)
    except Aborted as exc:
        raise Unusable(f"stopped before any check: {exc}") from None
    report = Report([], ctx, mode, notes=notes)
    try:
        pending = list(checks)
        try:
            check_credentials(ctx)
        except Aborted as exc:
            report.aborted = ctx.target.redact(str(exc))
            pending = []
            report.results += [Result(c, NOT_RUN, "run stopped before any check") for c in checks]
        for i, c in enumerate(pending):
            try:
                report.results.append(run_check(c, ctx))
            except Aborted as exc:
                report.aborted = ctx.target.redact(str(exc))
                report.results.append(Result(c, NOT_RUN, report.aborted))
                report.results += [Result(rest, NOT_RUN, "run stopped") for rest in pending[i + 1 :]]
                break
    finally:
        finish(ctx)
    report.seconds = time.monotonic() - start
    return report


# --- output ---


# Below this many columns for DETAIL, a terminal row cuts SOURCE instead (never under SOURCE_MIN).
DETAIL_MIN, SOURCE_MIN = 40, 12


def _cut(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(room - 3, 0)] + "..."


def summary(report: Report, width: int | None = None) -> str:
    """The table, then every failure whole. `width`: a terminal's columns, which each row of the
    table keeps to by cutting its DETAIL (and SOURCE, when narrow); None cuts nothing (a pipe, a
    file, a CI log: nobody can widen those)."""
    redact = report.ctx.target.redact
    lines = [f"binance-mock contract: {report.ctx.target.base_url} ({report.mode})"]
    lines += [f"  note: {n}" for n in report.notes]
    id_w = max((len(r.check.id) for r in report.results), default=10)
    src_w = max((len(r.check.source) for r in report.results), default=6)
    if width is not None:
        src_w = max(min(src_w, width - 8 - 1 - id_w - 2 - 1 - DETAIL_MIN), SOURCE_MIN)
    lines.append(f"{'RESULT':8} {'CHECK':{id_w}}  {'SOURCE':{src_w}} DETAIL")
    for r in report.results:
        head = f"{r.status.upper():8} {r.check.id:{id_w}}  {_cut(r.check.source, src_w):{src_w}} "
        detail = r.message or r.check.rule
        if width is not None:
            detail = _cut(detail, max(width - len(head), DETAIL_MIN))
        lines.append(head + detail)
    failed = [r for r in report.results if r.status in (FAILED, ERROR)]
    if failed:
        lines.append("")
        lines.append("Failures:")
        lines += [f"  {r.check.id}: {r.message}" for r in failed]
    observed = report.observed_profile()
    if observed:
        shown = ", ".join(f"{k}={v} ({DECISION_REF.get(k, '')})" for k, v in observed.items())
        lines.append(f"\nProfile seen: {shown}")
        diff = {k: v for k, v in observed.items() if getattr(Profile(), k) != v}
        if diff:
            flags = " ".join(f"--fidelity {k}={v}" for k, v in diff.items())
            lines.append(f"Matching mock: binance-mock serve {flags}")
    counts = ", ".join(f"{len(report.by_status(s))} {s}" for s in (PASSED, FAILED, ERROR, SKIPPED, NOT_RUN)
                       if report.by_status(s))  # fmt: skip
    lines.append(f"\n{counts}; {report.ctx.target.requests_sent} requests in {report.seconds:.1f} s")
    if report.aborted:
        lines.append(f"STOPPED: {report.aborted}")
    return redact("\n".join(lines))


def junit_xml(report: Report) -> bytes:
    redact = report.ctx.target.redact
    suite = ET.Element(
        "testsuite",
        name="binance-mock contract",
        tests=str(len(report.results)),
        failures=str(len(report.by_status(FAILED))),
        errors=str(len(report.by_status(ERROR)) + len(report.by_status(NOT_RUN))),
        skipped=str(len(report.by_status(SKIPPED))),
        time=f"{report.seconds:.3f}",
    )
    for r in report.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"contracts.{r.check.id.split('.')[0]}", name=r.check.id,
            time=f"{r.seconds:.3f}",
        )  # fmt: skip
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="rule", value=r.check.rule)
        ET.SubElement(props, "property", name="source", value=r.check.source)
        tag = {FAILED: "failure", ERROR: "error", NOT_RUN: "error", SKIPPED: "skipped"}.get(r.status)
        if tag:
            ET.SubElement(case, tag, message=redact(r.message))
    return redact(ET.tostring(suite, encoding="unicode", xml_declaration=True)).encode()


def _atomic_write(path: str | Path, data: bytes) -> None:
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent or ".", prefix=f".{p.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_junit(report: Report, path: str | Path) -> None:
    _atomic_write(path, junit_xml(report))


def profile_text(observed: dict[str, str], toml: bool) -> str:
    """A flat table of decision = value that `binance-mock serve --profile FILE` loads."""
    if toml:
        lines = ["# Fidelity profile observed by `binance-mock contract`."]
        lines += [f'{k} = "{v}"  # {DECISION_REF.get(k, "")}' for k, v in observed.items()]
        return "\n".join(lines) + "\n"
    return json.dumps(observed, indent=2, sort_keys=True) + "\n"


def write_profile(report: Report, path: str | Path) -> None:
    _atomic_write(path, profile_text(report.observed_profile(), str(path).lower().endswith(".toml")).encode())
