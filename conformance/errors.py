"""The exception tree: every failure the tool can meet, each mapped to one exit code by the CLI.

ConformanceError                 base of everything the tool raises on purpose
├── UsageError                   bad flags or configuration (exit 2)
├── TargetUnreachable            the target did not answer at all (exit 4)
└── HarnessError                 the tool itself broke (exit 3)
    └── CatalogueError           schemas/ is inconsistent

Inside a case (never escaping the engine):
CaseOutcome                      base of the signals a case raises to end itself
├── CheckFailed                  the target broke a requirement (verdict fail)
├── TargetTimeout                the target did not answer within its deadline (verdict timeout)
└── Skipped                      the check does not apply (verdict skip)
    └── Blocked                  what the check needs is missing: another requirement's
                                 observation (skip naming it, or fail when that one passes)
"""

from __future__ import annotations


class ConformanceError(Exception):
    """Base of every error the tool raises on purpose; its message is one readable line."""


class UsageError(ConformanceError):
    """The command line or a profile asks for something impossible."""


class TargetUnreachable(ConformanceError):
    """The target could not be reached at all, so no verdict can be given."""


class HarnessError(ConformanceError):
    """The tool itself failed (not the target): a bug or a broken installation."""


class CatalogueError(HarnessError):
    """The contract data in schemas/ is missing or inconsistent."""


class CaseOutcome(Exception):
    """A signal that ends a case early with a verdict; its message is the reason."""


class CheckFailed(CaseOutcome, AssertionError):
    """The target's behaviour contradicts the requirement being checked."""


class TargetTimeout(CaseOutcome):
    """The target did not answer within the declared deadline."""


class Skipped(CaseOutcome):
    """The check does not apply to this target (a feature not declared, nothing to check)."""


class Blocked(Skipped):
    """What the check needs (a transcription, an open stream, a delivery) is missing, and the
    requirement `prerequisite` names that observation: the verdict belongs to it, not here."""

    def __init__(self, prerequisite: str, reason: str) -> None:
        super().__init__(reason)
        self.prerequisite = prerequisite
