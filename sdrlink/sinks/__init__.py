"""Frame sinks: terminal lines, JSON lines, SQLite frame log, SigMF annotations, KISS."""

from sdrlink.pipeline import Sink
from sdrlink.sinks.jsonl import JsonlSink
from sdrlink.sinks.sqlite import FrameDB, SqliteSink
from sdrlink.sinks.terminal import TerminalSink, format_frame

__all__ = ["Sink", "TerminalSink", "format_frame", "JsonlSink", "SqliteSink", "FrameDB"]
