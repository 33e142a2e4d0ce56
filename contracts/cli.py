"""`binance-mock contract` and `binance-mock fuzz` (registered in mock_server/cli.py SUBCOMMANDS)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Any

from binance_mock.contracts.facts import DEMO_API_KEY, DEMO_SECRET, Profile
from binance_mock.contracts.outcomes import Unusable
from binance_mock.contracts.target import Credentials, Safety

DEFAULT_BASE_URL = "http://127.0.0.1:8900"


def register(sub: Any) -> None:
    p = sub.add_parser("contract", help="run the contract suite against a mock or live Binance")
    add_contract_arguments(p)
    p.set_defaults(run=run_contract)
    f = sub.add_parser("fuzz", help="schemathesis against the mock's OpenAPI document")
    f.add_argument("--base-url", default=None, help="a running mock (default: start one in-process)")
    f.add_argument("--max-examples", type=int, default=2_000, help="examples per operation (default 2000)")
    f.add_argument("--seed", type=int, default=None, help="hypothesis seed")
    f.add_argument("--spec-examples", type=int, default=50,
                   help="examples per operation of Binance's own description (default 50; 0: skip)")  # fmt: skip
    f.set_defaults(run=run_fuzz)


def add_contract_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", default=DEFAULT_BASE_URL, help=f"the target (default {DEFAULT_BASE_URL})")
    p.add_argument("--api-key", default=None, help="API key (or BINANCE_API_KEY; default: the demo key)")
    p.add_argument("--secret", default=None, help="HMAC secret (or BINANCE_API_SECRET)")
    p.add_argument("--key-type", choices=("hmac", "rsa", "ed25519"), default="hmac")
    p.add_argument("--private-key", metavar="PATH", help="PKCS#8 PEM private key for rsa or ed25519")
    p.add_argument("--junit-xml", metavar="PATH", help="write a JUnit XML report")
    p.add_argument("--live", action="store_true", help="act as against live: ignore any control API")
    p.add_argument("--rate", type=float, default=None,
                   help="max requests per second (default 2 unless the target has a control API)")  # fmt: skip
    p.add_argument("--max-requests", type=int, default=400, help="request budget (default 400)")
    p.add_argument("--max-weight", type=int, default=6_000,
                   help="stop when X-SAPI-USED-IP-WEIGHT-1M reaches this (default 6000)")  # fmt: skip
    p.add_argument("--profile", metavar="FILE",
                   help="the fidelity profile the target is expected to show (default: the one a mock's "
                        "control API declares; the defaults on live)")  # fmt: skip
    p.add_argument("--fidelity", action="append", default=[], metavar="NAME=VALUE",
                   help="one expected fidelity decision")  # fmt: skip
    p.add_argument("--write-profile", metavar="FILE", help="write the profile the target showed (JSON/TOML)")
    p.add_argument("--check", action="append", default=[], metavar="ID", help="run only these checks (globs)")
    p.add_argument("--skip", action="append", default=[], metavar="ID", help="leave these checks out (globs)")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument(
        "--allow-writes",
        action="store_true",
        help="also run wallet.round_trip: it moves 1 USDT from spot to cross margin and back",
    )


def credentials(args: argparse.Namespace) -> Credentials:
    api_key = args.api_key or os.environ.get("BINANCE_API_KEY")
    secret = args.secret or os.environ.get("BINANCE_API_SECRET")
    if not api_key and args.key_type == "hmac":
        api_key, secret = DEMO_API_KEY, secret or DEMO_SECRET
    if not api_key:
        raise ValueError("--api-key (or BINANCE_API_KEY) is required for rsa and ed25519 keys")
    return Credentials.load(api_key, args.key_type, secret, args.private_key)


def expected_profile(args: argparse.Namespace) -> Profile | None:
    from mock_server.rules.fidelity import load_profile, parse_assignments

    if not args.profile and not args.fidelity:
        return None
    profile = load_profile(args.profile) if args.profile else Profile()
    return profile.with_values(parse_assignments(args.fidelity))


def _usage_problem(args: argparse.Namespace) -> str | None:
    """A mistake in the arguments that would make the run meaningless, in words."""
    from urllib.parse import urlsplit

    from binance_mock.contracts.checks import all_checks
    from binance_mock.contracts.runner import selected

    url = urlsplit(args.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        return f"--base-url must be http://HOST:PORT or https://HOST; got {args.base_url!r}"
    checks = all_checks()
    for flag, patterns in (("--check", args.check), ("--skip", args.skip)):
        for pattern in patterns:
            if not selected(checks, [pattern], []):
                ids = ", ".join(c.id for c in checks)
                return f"{flag} {pattern!r} matches no check; the check ids (globs work): {ids}"
    return None


def list_checks() -> str:
    from binance_mock.contracts.checks import all_checks

    rows = [f"{c.id:40} {'[control] ' if c.needs_control else ''}{c.rule} ({c.source})" for c in all_checks()]
    return "\n".join(rows)


def run_contract(args: argparse.Namespace) -> int:
    from binance_mock.contracts.runner import Config, run, summary, write_junit, write_profile

    if args.list:
        print(list_checks())
        return 0
    problem = _usage_problem(args)
    if problem is not None:
        print(f"binance-mock contract: {problem}", file=sys.stderr)
        return 2
    try:
        creds = credentials(args)
        config = Config(
            base_url=args.base_url,
            creds=creds,
            live=args.live,
            safety=Safety(
                min_interval_s=1.0 / args.rate if args.rate else 0.5,
                max_requests=args.max_requests,
                max_weight=args.max_weight,
                allow_writes=args.allow_writes,
            ),
            pace_fixed=args.rate is not None or args.live,
            expected=expected_profile(args),
            select=args.check,
            exclude=args.skip,
        )
    except (OSError, ValueError) as exc:
        print(f"binance-mock contract: {exc}", file=sys.stderr)
        return 2
    try:
        report = run(config)
    except Unusable as exc:
        print(f"binance-mock contract: {exc}", file=sys.stderr)
        return 2
    # A terminal gets rows that fit it; a pipe or a file gets every detail whole.
    print(summary(report, shutil.get_terminal_size().columns if sys.stdout.isatty() else None))
    if args.junit_xml:
        write_junit(report, args.junit_xml)
    if args.write_profile:
        write_profile(report, args.write_profile)
        print(f"profile written to {args.write_profile}")
    return report.exit_code


def run_fuzz(args: argparse.Namespace) -> int:
    from binance_mock.contracts.fuzz import fuzz

    try:
        return fuzz(args.base_url, args.max_examples, args.seed, args.spec_examples)
    except ModuleNotFoundError as exc:
        if exc.name not in ("schemathesis", "hypothesis"):
            raise
        print(
            f"binance-mock fuzz: needs {exc.name}, from the test extra: pip install 'binance-mock[test]'",
            file=sys.stderr,
        )
        return 2
