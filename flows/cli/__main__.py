"""`python -m flows.cli`: the `odwatch` command."""

import sys

from flows.cli import main

sys.exit(main())
