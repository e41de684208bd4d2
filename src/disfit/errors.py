"""The one exception users see: a single line naming the file or key and the fix."""


class DisfitError(Exception):
    """Bad input or an impossible request; the CLI prints it as one line and exits non-zero."""
