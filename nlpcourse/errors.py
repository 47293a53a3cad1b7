"""The course's own exceptions, on the lowest floor of the package so that any module may raise them (chapter 1)."""


class DataError(RuntimeError):
    """A data set or a packaged checkpoint could not be found, downloaded or verified."""
