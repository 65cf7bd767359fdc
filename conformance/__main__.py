"""`python -m conformance` runs the command line."""

from __future__ import annotations

import sys

from conformance.cli.commands import main

sys.exit(main())
