"""The one error hierarchy of clearweights; the CLI catches it once in ``main()``."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Documented process exit codes."""

    OK = 0
    FAILED = 1  # a verdict or policy failed
    USAGE = 2  # the command line was wrong
    INCOMPLETE = 3  # could not complete: unreadable input, internal error


class ClearweightsError(Exception):
    """Base of every error clearweights raises on purpose.

    Attributes:
        message: what happened, in one sentence.
        path: the file or identifier the error is about, when there is one.
        hint: the next step for the user.
    """

    exit_code: ExitCode = ExitCode.INCOMPLETE

    def __init__(self, message: str, *, path: str | Path | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.hint = hint

    def diagnostics(self) -> str:
        """Return the message for people: where, what, and what to do next."""
        where = f"{self.path}: " if self.path else ""
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class UsageError(ClearweightsError, ValueError):
    """The request itself is wrong (bad option value, unknown identifier)."""

    exit_code = ExitCode.USAGE


class UnknownLicenceError(UsageError, LookupError):
    """No catalogue record answers to the given id, Hugging Face id or name."""


class InputError(ClearweightsError, OSError):
    """An input could not be read (missing, a directory, unreadable, not text)."""


class AuditDocumentError(InputError, ValueError):
    """An audit document (JSON) cannot be loaded: not JSON, not the schema, or too new."""


class DataError(ClearweightsError):
    """The data shipped with clearweights is missing or corrupt."""


class ReleaseError(InputError):
    """A release could not be read: not a release, a broken MOF file, a missing cache entry."""


class SigningError(ClearweightsError):
    """A release could not be signed or checked: bad key, corrupted signature bundle."""


class VerificationFailed(ClearweightsError):
    """A signature does not match the release (files changed, or another key signed it)."""

    exit_code = ExitCode.FAILED


class StoreError(ClearweightsError):
    """The result store cannot be used: unreachable, corrupt, or from a newer clearweights."""


class ConfigError(UsageError):
    """The project config file is wrong: not TOML, an unknown key, a value of the wrong type."""


class TaxonomyError(InputError):
    """A taxonomy leaf or its documents could not be read (bad YAML, missing repository or commit).

    ``path`` names the leaf's ``qna.yaml`` (or the taxonomy root).
    """


class RepositoryUnavailableError(TaxonomyError):
    """A leaf's document repository is out of reach (offline, or cloning failed): not checked."""


class TeacherError(ClearweightsError):
    """The teacher server could not be used: unreachable, not OpenAI-compatible, or failing."""


class LicenceRefused(ClearweightsError):
    """A licence forbids what was asked (generating training data from this input)."""

    exit_code = ExitCode.FAILED


class TeacherLicenceRefused(LicenceRefused):
    """The teacher's licence forbids training the intended student on its outputs."""


class GenerateError(ClearweightsError):
    """Synthetic data generation could not complete (a leaf kept no sample)."""
