"""``sdrlink devices``: list the radios SoapySDR finds, or one device's ranges."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "devices",
        help="list SoapySDR radios (or one device's ranges with --device)",
        description=(
            "List the radios SoapySDR can open (driver, label, serial). With --device, open "
            "that device and show what it supports: frequency range, sample rates, gains per "
            "element, antennas and bandwidths. rtl_tcp servers are not listed (use "
            "'sdrlink live --device rtl_tcp=HOST:PORT')."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink devices\n"
            "  sdrlink devices --device driver=rtlsdr\n"
            "  sdrlink devices --device driver=hackrf,serial=0000000000000000f77c60dc2b1b1"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--device", metavar="ARGS", help="SoapySDR arguments of one device to describe")
    p.add_argument(
        "--filter", metavar="ARGS", default="", help="only list devices matching these arguments"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.sources.soapy import describe_device, enumerate_devices, soapy_module

    soapy_module()  # DeviceError with install instructions when missing
    if args.device is not None:
        for line in describe_device(args.device):
            print(line)
        return 0
    found = enumerate_devices(args.filter)
    if not found:
        print("no SoapySDR devices found (is the radio plugged in, its Soapy module installed?)")
        return 0
    for dev in found:
        driver = dev.get("driver", "?")
        label = dev.get("label", "")
        serial = dev.get("serial", "")
        rest = {k: v for k, v in dev.items() if k not in ("driver", "label", "serial")}
        extra = "  " + ",".join(f"{k}={v}" for k, v in sorted(rest.items())) if rest else ""
        print(f"driver={driver}  label={label!r}  serial={serial or '-'}{extra}")
    return 0
