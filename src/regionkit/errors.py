"""Exception hierarchy of regionkit.

Every error raised on purpose by regionkit derives from :class:`RegionkitError`.
Errors caused by the user's input (files, columns, values, options) are
:class:`InputError` and therefore also :class:`ValueError`, so generic
``except ValueError`` handlers keep working.
"""

from __future__ import annotations


class RegionkitError(Exception):
    """Root of all regionkit errors."""


class InputError(RegionkitError, ValueError):
    """Bad user input: a file, column, region, year, value or option at fault.

    The message names the place of the fault (file, column, region, year)
    whenever it is known.
    """


class ConfigError(InputError):
    """A study configuration with one or more problems.

    Parameters
    ----------
    problems : list of str
        Every problem found, one line each.
    source : str, optional
        The configuration file the problems were found in.
    """

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s){where}:\n{lines}")


class ComputationError(RegionkitError):
    """A computation that cannot produce a defined result (e.g. a zero reference change)."""


class JoinWarning(UserWarning):
    """Raised (as a warning) when region ids do not match between two inputs."""


__all__ = ["ComputationError", "ConfigError", "InputError", "JoinWarning", "RegionkitError"]
