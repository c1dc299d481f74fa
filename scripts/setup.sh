#!/usr/bin/env bash
# Set up sdrlink in ./.venv on a Debian/Ubuntu machine.
#
#   bash scripts/setup.sh          # runtime: sdrlink command in .venv/bin
#   bash scripts/setup.sh --test   # also the test, lint and browser-test tools
#
# What it does:
# 1. Installs the system packages it needs with apt when they are missing (as root, or
#    through sudo): a C compiler and Python headers for the Cython extensions, venv, and
#    SoapySDR's Python bindings with the RTL-SDR and HackRF modules for live reception.
#    Set SDRLINK_NO_APT=1 to skip this step.
# 2. Creates .venv with the system interpreter that has SoapySDR's bindings (they come
#    from the OS, not from PyPI), with --system-site-packages so the venv sees them.
# 3. pip-installs sdrlink in editable mode, which compiles the extensions in ext/.
set -euo pipefail
cd "$(dirname "$0")/.."

# every documented command works after a plain setup (batch needs Dask, the
# notebooks need Jupyter's kernel and pandas, the station's web page aiohttp);
# --test adds the test tools
extras="[batch,notebooks,station]"
[ "${1:-}" = "--test" ] && extras="[batch,notebooks,station,test]"

need_pkgs=(build-essential python3-dev python3-venv python3-soapysdr
           soapysdr-module-rtlsdr soapysdr-module-hackrf)
if [ "${SDRLINK_NO_APT:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
    missing=()
    for p in "${need_pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        sudo_cmd=""
        if [ "$(id -u)" != "0" ]; then
            if command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo"; else
                echo "setup: cannot install ${missing[*]} (not root, no sudo); continuing" >&2
                missing=()
            fi
        fi
        if [ ${#missing[@]} -gt 0 ]; then
            echo "setup: installing ${missing[*]} with apt" >&2
            export DEBIAN_FRONTEND=noninteractive
            $sudo_cmd apt-get update -q >/dev/null || true
            $sudo_cmd apt-get install -y -q "${missing[@]}" >/dev/null \
                || echo "setup: apt-get could not install all of: ${missing[*]}" >&2
        fi
    fi
fi

# Prefer the interpreter that can import SoapySDR (the OS's python3).
py=""
for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import SoapySDR" >/dev/null 2>&1; then
        py="$cand"; break
    fi
done
if [ -z "$py" ]; then
    py=$(command -v /usr/bin/python3 || command -v python3)
    echo "setup: SoapySDR's Python bindings not found; live reception will be unavailable" >&2
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import sys" >/dev/null 2>&1; then
    rm -rf .venv
    "$py" -m venv --system-site-packages .venv
fi
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
.venv/bin/python -m pip install -q -e ".${extras}"
.venv/bin/python -c "import sdrlink._ext.nco" \
    || { echo "setup: the compiled extensions do not import" >&2; exit 1; }
echo "setup: ready. Run .venv/bin/sdrlink --help" >&2
