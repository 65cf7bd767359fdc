"""The settings' old address, for tests outside tests/reference that still import it from here
(tests/hostile_callbacks.py, test_cost.py, test_fuzz_reproducers.py, test_hostile_foreign.py);
the settings live in model/settings.py."""

from .model.settings import DEFAULT_API_KEY, DEFAULT_API_KEY_ID, DEFAULT_PROJECT_ID, Settings

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_KEY_ID", "DEFAULT_PROJECT_ID", "Settings"]
