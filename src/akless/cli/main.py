"""The ``akless`` entry point: a clear message when the CLI extra is missing, then the commands.

Exit codes, the same for every command:

====  ====================================================
0     success
1     findings, or the thing asked about was not found
2     usage or configuration error (bad flag, file, value)
3     remote error (a service refused or could not be reached)
130   interrupted, or a confirmation declined
====  ====================================================
"""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
EXIT_REMOTE = 3


def main(argv: list[str] | None = None) -> int:
    """Run ``akless``; returns (and, as a console script, exits with) the exit code."""
    try:
        from akless.cli.root import run
    except ImportError as error:
        missing = error.name or "a dependency"
        print(
            f"akless: the command line needs {missing}, part of the 'cli' extra: "
            "pip install 'akless[cli]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
