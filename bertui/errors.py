"""Errors a person can act on (their messages are shown as they are: say what is wrong and what to do),
and ``Superseded``, the one exception that is not an error."""

def first_line(error: BaseException) -> str:
    """The first line of an error's message, or the name of its type when it has none."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class BertuiError(Exception):
    """Base of every error bertui reports to a person instead of a traceback."""


class ModelLoadError(BertuiError):
    """The model spec could not be turned into a usable model (missing, broken, offline, wrong head)."""


class InputError(BertuiError):
    """The request cannot be answered as asked (no mask to fill, k out of range, no NSP head...)."""


class Superseded(Exception):  # not an error: a newer request came
    """Raised by an engine between two batched passes when its ``should_stop`` says a newer request is
    waiting: the pass under way answers text no longer on screen, and is abandoned."""
