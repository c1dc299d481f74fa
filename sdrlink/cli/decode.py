"""``sdrlink decode``: decode a recording, printing one line per frame."""

from __future__ import annotations

import argparse
import sys

from sdrlink.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "decode",
        help="decode frames from a recording",
        description=(
            "Decode a recording (SigMF .sigmf-meta/.sigmf-data/.sigmf, raw .cu8/.cs8/.cs16/"
            ".cf32/.cfile/.raw, or WAV) and print one line per frame: time, frequency offset, "
            "SNR, CRC status, payload as hex and text."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink decode examples/lora_demo.sigmf-meta --protocol lora --sf 9 --bw 125k\n"
            "  sdrlink decode pass.wav --sat US01 --jsonl frames.jsonl\n"
            "  sdrlink decode capture.cu8 --rate 1.024M --freq 436.7M -p lora --sf all --bw 125k"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="recording to decode")
    g = p.add_argument_group("input")
    g.add_argument(
        "--format",
        choices=["sigmf", "cu8", "cs8", "cs16", "cf32", "wav"],
        help="file format (default: from the extension)",
    )
    g.add_argument("--rate", type=common.si_arg, metavar="HZ", help="sample rate (raw files)")
    g.add_argument("--freq", type=common.si_arg, metavar="HZ", help="centre frequency")
    g.add_argument(
        "--start", type=common.parse_time, metavar="TIME", help="UTC time of the first sample"
    )
    g.add_argument(
        "--block-size",
        type=common.positive_int,
        default=1 << 18,
        metavar="N",
        help="samples per block",
    )
    common.add_protocol_args(p)
    common.add_doppler_args(p)
    common.add_sink_args(p)
    p.add_argument(
        "--annotate", action="store_true", help="write frames as SigMF annotations (SigMF input)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.errors import ConfigError
    from sdrlink.pipeline import run as run_pipeline
    from sdrlink.progress import Progress
    from sdrlink.sources import open_source

    modes, satellite = common.modes_from_args(args)
    kwargs = {"fmt": args.format, "sample_rate": args.rate, "center_freq": args.freq}
    if args.start is not None:
        kwargs["start_time"] = args.start
    source = open_source(args.file, **{k: v for k, v in kwargs.items() if v is not None})
    with source:
        info = source.info
        receivers = common.build_receivers(modes, info)
        stages = common.build_stages(args, info, satellite)
        progress = Progress(info.num_samples, info.sample_rate, label="decoding", force=False)
        if args.no_progress:
            progress.enabled = False
        sinks = common.build_sinks(args, args.file, modes, status=progress)
        if args.annotate:
            meta = getattr(source, "meta_path", None)
            if meta is None:
                raise ConfigError("--annotate needs a SigMF recording (.sigmf-meta)")
            from sdrlink.sinks.annotations import AnnotationSink

            sinks.append(AnnotationSink(meta, info.sample_rate))
        try:
            stats = run_pipeline(
                source,
                receivers,
                sinks,
                stages,
                block_size=args.block_size,
                progress=progress,
                keep_frames=False,
            )
        finally:
            progress.close()
    duration = stats.samples / info.sample_rate
    print(
        f"{stats.summary()}, in {duration:.1f} s of signal "
        f"({stats.wall_s:.1f} s, {duration / max(stats.wall_s, 1e-9):.0f}x real time)",
        file=sys.stderr,
    )
    if stats.interrupted:
        from sdrlink import interrupt

        print("sdrlink: interrupted; outputs are complete up to here", file=sys.stderr)
        return interrupt.exit_code()
    return 0
