"""``python -m erreichbarkeit``."""

import sys

from erreichbarkeit.cli import main

sys.exit(main())
