"""`python -m edge_runtime classify ...` runs the same commands as `mnist-edge`."""

import sys

from edge_runtime.commands import main

sys.exit(main())
