"""`python -m conformance.reference`: run the reference server."""

import sys

from .server import main

sys.exit(main())
