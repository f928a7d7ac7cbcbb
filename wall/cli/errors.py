"""The two expected failures of a ``wall`` command, each printed as one line."""


class CommandError(Exception):
    """An expected failure: its message is printed as one line, exit status 1."""


class UsageError(Exception):
    """A bad request from the command line: one line, exit status 2."""
