"""The support/ops command line: `python -m supportcli --stage STAGE ...`."""
