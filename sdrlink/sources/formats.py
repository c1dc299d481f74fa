"""Names of the file formats and their extensions (data only: the CLI imports it cheaply)."""

#: Raw formats: name -> datatype (see sdrlink.sources.raw.DATATYPES).
RAW_FORMATS = {"cu8": "cu8", "cs8": "ci8", "cs16": "ci16_le", "cf32": "cf32_le"}
FORMATS = ("sigmf", "cu8", "cs8", "cs16", "cf32", "wav")

_EXTENSIONS = {
    ".sigmf-meta": "sigmf",
    ".sigmf-data": "sigmf",
    ".sigmf": "sigmf-archive",
    ".cu8": "cu8",
    ".cs8": "cs8",
    ".cs16": "cs16",
    ".cf32": "cf32",
    ".cfile": "cf32",
    ".raw": "cf32",
    ".fc32": "cf32",
    ".wav": "wav",
}
