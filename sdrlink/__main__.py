from sdrlink.cli.main import entry

entry()
