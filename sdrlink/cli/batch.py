"""``sdrlink batch``: decode many recordings in parallel on Dask into one frame log."""

from __future__ import annotations

import argparse
import sys

from sdrlink.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="decode many recordings in parallel (Dask) into a SQLite frame log",
        description=(
            "Decode every recording matched by the patterns (shell globs; '**' recurses) in "
            "parallel, one file per task, on a local Dask cluster (one single-threaded worker "
            "process per core) or on an existing one (--scheduler). Frames go to the SQLite "
            "frame log --db, each file's frames in one transaction. Recordings already decoded "
            "with the same settings (same content, options and sdrlink version) are skipped, "
            "so an interrupted run can simply be started again. A bad recording is reported "
            "and the others go on; the exit code is 2 when any file failed."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink batch 'passes/**/*.sigmf-meta' --sat US01 --db frames.sqlite\n"
            "  sdrlink batch 'passes/*.sigmf-meta' --sat US01 --tle active.tle "
            "--station 52.2,0.1,30 --db f.sqlite\n"
            "  sdrlink batch 'dumps/*.cf32' --rate 250k -p lora --sf 7 --bw 125k --db f.sqlite "
            "--workers 8\n"
            "  sdrlink batch 'passes/*.wav' -p fsk --db f.sqlite --scheduler tcp://10.0.0.5:8786 "
            "--parquet frames.parquet"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "patterns",
        nargs="+",
        metavar="PATTERN",
        help=(
            "recordings, folders (searched recursively) or glob patterns "
            "(quote them so that sdrlink expands '**')"
        ),
    )
    g = p.add_argument_group("input")
    g.add_argument(
        "--format",
        choices=["sigmf", "cu8", "cs8", "cs16", "cf32", "wav"],
        help="file format of every file (default: from each extension)",
    )
    g.add_argument("--rate", type=common.si_arg, metavar="HZ", help="sample rate (raw files)")
    g.add_argument("--freq", type=common.si_arg, metavar="HZ", help="centre frequency")
    g.add_argument(
        "--block-size",
        type=common.positive_int,
        default=1 << 18,
        metavar="N",
        help="samples per block",
    )
    common.add_protocol_args(p)
    common.add_doppler_args(p)
    o = p.add_argument_group("outputs")
    o.add_argument("--db", metavar="PATH", help="SQLite frame log (created if missing)")
    o.add_argument(
        "--parquet",
        metavar="PATH",
        help="also write the frames of all recordings of this run to a Parquet file",
    )
    o.add_argument("--include-bad", action="store_true", help="also store frames whose CRC failed")
    o.add_argument("--force", action="store_true", help="decode again recordings already done")
    o.add_argument("-v", "--verbose", action="store_true", help="one line per file on stdout")
    o.add_argument("--no-progress", action="store_true", help="no progress bar")
    c = p.add_argument_group("cluster").add_mutually_exclusive_group()
    c.add_argument(
        "-j",
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of a local cluster (default: one per core)",
    )
    c.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="use the running dask.distributed cluster at ADDRESS (e.g. tcp://host:8786)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.batch import FileProgress, connect, decode_many, expand_patterns
    from sdrlink.errors import ConfigError

    if not args.db and not args.parquet:
        raise ConfigError("say where the frames go: --db PATH (and/or --parquet PATH)")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {args.workers}")
    modes, satellite = common.modes_from_args(args)  # checks the settings up front
    name, explicit = common.explicit_options(args)
    doppler = common.doppler_spec(args, satellite)  # TLE read once, here
    paths = expand_patterns(args.patterns, args.format)
    client = connect(args.scheduler) if args.scheduler else None
    progress = FileProgress()
    if args.no_progress:
        progress.enabled = False
    try:
        result = decode_many(
            paths,
            name,
            sat=args.sat,
            options=explicit,
            doppler=doppler,
            db=args.db,
            client=client,
            workers=args.workers,
            force=args.force,
            fmt=args.format,
            sample_rate=args.rate,
            center_freq=args.freq,
            include_bad=args.include_bad,
            block_size=args.block_size,
            keep_frames=False,
            parquet=args.parquet,
            progress=progress,
        )
    finally:
        progress.close()
        if client is not None:
            client.close()
    if args.verbose:
        for f in result.files:
            what = f"{f.frames} frame(s)" if f.status == "decoded" else f.note or f.error
            print(f"{f.status:8} {f.path}: {what}")
    for f in result.failures:
        print(f"FAILED {f.path}: {f.error}", file=sys.stderr)
    print(result.summary(), file=sys.stderr)
    if any(f.internal for f in result.failures):
        return 1
    return 0 if result.ok else 2
